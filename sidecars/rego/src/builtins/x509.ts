// X.509 builtins: certificate requests and certificates (subject/issuer via a small DER reader) in Go's field names.
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { RegoObject, fromJS, type Value } from '../value';
import { BuiltinError, register, str } from './registry';

interface Der {
  tag: number;
  start: number;
  end: number;
  contentStart: number;
}

/** Reads one DER element at offset; throws Go-like "asn1: structure error" messages. */
function readDer(buf: Buffer, offset: number): Der {
  if (offset + 2 > buf.length) throw new BuiltinError('asn1: structure error: truncated tag or length');
  const tag = buf[offset] as number;
  let len = buf[offset + 1] as number;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || pos + n > buf.length) throw new BuiltinError('asn1: structure error: length too large');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[pos + i] as number);
    pos += n;
  }
  if (pos + len > buf.length) throw new BuiltinError('asn1: structure error: data truncated');
  return { tag, start: offset, end: pos + len, contentStart: pos };
}

function children(buf: Buffer, el: Der): Der[] {
  const out: Der[] = [];
  for (let p = el.contentStart; p < el.end;) {
    const c = readDer(buf, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

function oid(buf: Buffer, el: Der): string {
  const bytes = buf.subarray(el.contentStart, el.end);
  const parts: number[] = [];
  let v = 0;
  bytes.forEach((b, i) => {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0 && i >= 0)
        parts.push(Math.min(2, Math.floor(v / 40)), v - Math.min(2, Math.floor(v / 40)) * 40);
      else parts.push(v);
      v = 0;
    }
  });
  return parts.join('.');
}

const NAME_FIELDS: Record<string, string> = {
  '2.5.4.6': 'Country',
  '2.5.4.10': 'Organization',
  '2.5.4.11': 'OrganizationalUnit',
  '2.5.4.7': 'Locality',
  '2.5.4.8': 'Province',
  '2.5.4.9': 'StreetAddress',
  '2.5.4.17': 'PostalCode',
};

/** A Name (SEQUENCE OF SET OF AttributeTypeAndValue) as Go's pkix.Name JSON. */
function parseName(buf: Buffer, el: Der): Value {
  const name: Record<string, unknown> = {
    Country: null,
    Organization: null,
    OrganizationalUnit: null,
    Locality: null,
    Province: null,
    StreetAddress: null,
    PostalCode: null,
    SerialNumber: '',
    CommonName: '',
    Names: [] as unknown[],
    ExtraNames: null,
  };
  for (const set of children(buf, el)) {
    for (const atv of children(buf, set)) {
      const [type, value] = children(buf, atv);
      if (!type || !value) throw new BuiltinError('asn1: structure error: invalid attribute');
      const id = oid(buf, type);
      const text = buf.subarray(value.contentStart, value.end).toString(value.tag === 0x1e ? 'utf16le' : 'utf8');
      (name.Names as unknown[]).push({ Type: id.split('.').map(Number), Value: text });
      const field = NAME_FIELDS[id];
      if (field) name[field] = [...((name[field] as string[] | null) ?? []), text];
      else if (id === '2.5.4.3') name.CommonName = text;
      else if (id === '2.5.4.5') name.SerialNumber = text;
    }
  }
  return fromJS(name);
}

/** Decodes PEM, or base64 of PEM/DER, or returns the error Go would give. */
function derFrom(input: string, label: string): Buffer[] {
  let text = input;
  if (!text.includes('-----BEGIN')) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      const bad = [...text].findIndex((c) => !/[A-Za-z0-9+/=]/.test(c));
      throw new BuiltinError(`illegal base64 data at input byte ${bad >= 0 ? bad : text.length - (text.length % 4)}`);
    }
    const raw = Buffer.from(text, 'base64');
    const asText = raw.toString('utf8');
    if (!asText.includes('-----BEGIN')) return [raw];
    text = asText;
  }
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  const blocks = [...text.matchAll(re)].map((m) => Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64'));
  if (blocks.length === 0) throw new BuiltinError(`failed to parse a PEM ${label.toLowerCase()}`);
  return blocks;
}

register('crypto.x509.parse_certificate_request', 1, (args) => {
  const [der] = derFrom(str(args, 0), 'CERTIFICATE REQUEST') as [Buffer];
  const top = readDer(der, 0);
  if (top.tag !== 0x30) throw new BuiltinError("asn1: structure error: tags don't match");
  const [info] = children(der, top);
  if (!info || info.tag !== 0x30) throw new BuiltinError("asn1: structure error: tags don't match");
  const [version, subject] = children(der, info);
  if (!version || !subject || version.tag !== 0x02 || subject.tag !== 0x30)
    throw new BuiltinError("asn1: structure error: tags don't match");
  return new RegoObject([
    ['Version', der.readUIntBE(version.contentStart, Math.min(6, version.end - version.contentStart) || 1)],
    ['Subject', parseName(der, subject)],
    ['DNSNames', null],
    ['EmailAddresses', null],
    ['IPAddresses', null],
    ['URIs', null],
  ]);
});

register('crypto.x509.parse_certificates', 1, (args) => {
  const ders = derFrom(str(args, 0), 'CERTIFICATE');
  return ders.map((der) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(der);
    } catch (err) {
      throw new BuiltinError(`x509: malformed certificate: ${err instanceof Error ? err.message : String(err)}`);
    }
    const top = readDer(der, 0);
    const [tbs] = children(der, top);
    const fields = children(der, tbs as Der);
    const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
    const issuer = fields[offset + 2];
    const subject = fields[offset + 4];
    const san = cert.subjectAltName ?? '';
    const names = (prefix: string): Value =>
      san
        .split(', ')
        .filter((s) => s.startsWith(prefix))
        .map((s) => s.slice(prefix.length));
    const out = new RegoObject([
      ['Version', offset === 1 ? 3 : 1],
      [
        'SerialNumber',
        BigInt('0x' + cert.serialNumber) <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(BigInt('0x' + cert.serialNumber))
          : BigInt('0x' + cert.serialNumber),
      ],
      ['Issuer', issuer ? parseName(der, issuer) : null],
      ['Subject', subject ? parseName(der, subject) : null],
      ['NotBefore', new Date(cert.validFrom).toISOString().replace('.000Z', 'Z')],
      ['NotAfter', new Date(cert.validTo).toISOString().replace('.000Z', 'Z')],
      ['IsCA', cert.ca],
      ['DNSNames', names('DNS:')],
      ['EmailAddresses', names('email:')],
      ['IPAddresses', names('IP Address:')],
      ['URIs', names('URI:')],
    ]);
    return out;
  });
});

register('crypto.x509.parse_keypair', 2, (args) => {
  const certs = derFrom(str(args, 0), 'CERTIFICATE');
  const keyText = str(args, 1);
  const pem = keyText.includes('-----BEGIN') ? keyText : Buffer.from(keyText, 'base64').toString('utf8');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new BuiltinError('tls: failed to find any PEM data in key input');
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certs[0] as Buffer);
  } catch {
    throw new BuiltinError('tls: failed to parse certificate');
  }
  const spki = (k: KeyObject): string => k.export({ type: 'spki', format: 'der' }).toString('base64');
  if (spki(leaf.publicKey) !== spki(createPublicKey(key)))
    throw new BuiltinError('tls: private key does not match public key');
  return new RegoObject([
    ['Certificate', certs.map((c) => c.toString('base64'))],
    ['PrivateKey', fromJS(key.export({ format: 'jwk' }))],
    ['Leaf', null],
  ]);
});
