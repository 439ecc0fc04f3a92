// X.509 builtins: certificate requests and certificates (subject/issuer via a small DER reader) in Go's field names.
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { RegoObject, RegoSet, fromJS, int64Text, isNumber, numberValue, type Value } from '../value';
import { BuiltinError, obj, register, str, stringBytes, type BuiltinContext } from './registry';

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

/**
 * Go's base64.StdEncoding.DecodeString: newlines are skipped, and an error names the byte where decoding
 * failed ("illegal base64 data at input byte N").
 */
export function goBase64Decode(text: string): Buffer {
  const src = Buffer.from(text, 'utf8');
  const out: number[] = [];
  const value = (c: number): number => {
    if (c >= 65 && c <= 90) return c - 65;
    if (c >= 97 && c <= 122) return c - 71;
    if (c >= 48 && c <= 57) return c + 4;
    if (c === 43) return 62;
    if (c === 47) return 63;
    return -1;
  };
  const corrupt = (at: number): never => {
    throw new BuiltinError(`illegal base64 data at input byte ${at}`);
  };
  const isNewline = (c: number | undefined): boolean => c === 10 || c === 13;
  let si = 0;
  while (si < src.length) {
    const quantum: number[] = [];
    let end = false;
    while (quantum.length < 4) {
      if (si === src.length) {
        if (quantum.length === 0) break;
        corrupt(si - quantum.length);
      }
      const c = src[si++] as number;
      const v = value(c);
      if (v >= 0) {
        quantum.push(v);
        continue;
      }
      if (isNewline(c)) continue;
      if (c !== 61) corrupt(si - 1);
      // Padding: only after two or three characters, "==" after two, then nothing but newlines.
      if (quantum.length < 2) corrupt(si - 1);
      if (quantum.length === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) corrupt(src.length);
        if (src[si] !== 61) corrupt(si - 1);
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      if (si < src.length) corrupt(si);
      end = true;
      break;
    }
    if (quantum.length === 0) break;
    const [a = 0, b = 0, c = 0, d = 0] = quantum;
    const bits = (a << 18) | (b << 12) | (c << 6) | d;
    out.push((bits >> 16) & 0xff);
    if (quantum.length > 2) out.push((bits >> 8) & 0xff);
    if (quantum.length > 3) out.push(bits & 0xff);
    if (end) break;
  }
  return Buffer.from(out);
}

/** The DER bytes of each PEM block (all must be certificates), as OPA's getX509CertsFromPem reads them. */
function pemCertificates(text: string): Buffer {
  const parts: Buffer[] = [];
  for (const m of text.matchAll(/-----BEGIN ([^\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/g)) {
    if (m[1] !== 'CERTIFICATE') throw new BuiltinError(`PEM block type is '${m[1]}', expected CERTIFICATE`);
    parts.push(Buffer.from((m[2] as string).replace(/\s+/g, ''), 'base64'));
  }
  return Buffer.concat(parts);
}

/** OPA's getX509CertsFromString: PEM, or base64 of PEM or of one or more DER certificates. */
function certificatesFrom(input: string): Buffer[] {
  let der: Buffer;
  if (input.startsWith('-----BEGIN')) der = pemCertificates(input);
  else {
    const raw = goBase64Decode(input);
    der = raw.subarray(0, 10).toString('latin1').startsWith('-----BEGIN') ? pemCertificates(raw.toString('utf8')) : raw;
  }
  // x509.ParseCertificates: the certificates follow each other.
  const certs: Buffer[] = [];
  for (let offset = 0; offset < der.length;) {
    let el: Der;
    try {
      el = readDer(der, offset);
    } catch {
      throw new BuiltinError('x509: malformed certificate');
    }
    certs.push(der.subarray(offset, el.end));
    offset = el.end;
  }
  return certs;
}

/** OPA's reading of a CSR: PEM, else base64 (of PEM or DER); the first PEM block must be a request. */
function certificateRequestFrom(input: string): Buffer {
  const bytes = input.startsWith('-----BEGIN CERTIFICATE REQUEST-----')
    ? Buffer.from(input, 'utf8')
    : goBase64Decode(input);
  const m = /-----BEGIN ([^\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/.exec(bytes.toString('latin1'));
  if (!m) return bytes;
  if (m[1] !== 'CERTIFICATE REQUEST') throw new BuiltinError('invalid PEM-encoded certificate signing request');
  return Buffer.from((m[2] as string).replace(/\s+/g, ''), 'base64');
}

register('crypto.x509.parse_certificate_request', 1, (args, ctx) => {
  ctx.alloc(stringBytes(str(args, 0).length) * 2);
  const der = certificateRequestFrom(str(args, 0));
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

/** A certificate's fields that policies use, under Go's x509.Certificate names. */
interface Certificate {
  der: Buffer;
  cert: X509Certificate;
  rawIssuer: Buffer;
  rawSubject: Buffer;
  version: number;
  issuer: Der | undefined;
  subject: Der | undefined;
  /** Extensions by OID: critical flag and the extnValue contents. */
  extensions: Map<string, { critical: boolean; value: Buffer }>;
  signatureAlgorithm: string;
}

function parseCertificate(der: Buffer): Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    throw new BuiltinError('x509: malformed certificate');
  }
  const top = readDer(der, 0);
  const [tbs, sigAlg] = children(der, top);
  const fields = children(der, tbs as Der);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const issuer = fields[offset + 2];
  const subject = fields[offset + 4];
  const extensions = new Map<string, { critical: boolean; value: Buffer }>();
  const extField = fields.find((f) => f.tag === 0xa3);
  if (extField) {
    const [list] = children(der, extField);
    for (const ext of list ? children(der, list) : []) {
      const parts = children(der, ext);
      const id = parts[0];
      const critical = parts.length === 3 && parts[1]?.tag === 0x01 && der[parts[1].contentStart] !== 0;
      const value = parts[parts.length - 1];
      if (id && value) extensions.set(oid(der, id), { critical, value: der.subarray(value.contentStart, value.end) });
    }
  }
  const algId = sigAlg ? children(der, sigAlg)[0] : undefined;
  return {
    der,
    cert,
    rawIssuer: issuer ? der.subarray(issuer.start, issuer.end) : Buffer.alloc(0),
    rawSubject: subject ? der.subarray(subject.start, subject.end) : Buffer.alloc(0),
    version: offset === 1 ? der[(fields[0] as Der).contentStart + 2]! + 1 : 1,
    issuer,
    subject,
    extensions,
    signatureAlgorithm: algId ? oid(der, algId) : '',
  };
}

function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Go's url.escape for a path or a fragment (shouldEscape with encodePath / encodeFragment). */
function goEscape(s: string, mode: 'path' | 'fragment'): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    const keep =
      /[A-Za-z0-9\-_.~]/.test(c) ||
      ('$&+,/:;=?@'.includes(c) && (mode === 'fragment' || c !== '?')) ||
      (mode === 'fragment' && '!()*'.includes(c));
    out += keep ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Go's url.URL as encoding/json writes it (a certificate's URIs); Userinfo has no exported fields. */
function goURL(uri: string): Value {
  const u = {
    Scheme: '',
    Opaque: '',
    User: null as Record<string, never> | null,
    Host: '',
    Path: '',
    RawPath: '',
    OmitHost: false,
    ForceQuery: false,
    RawQuery: '',
    Fragment: '',
    RawFragment: '',
  };
  let rest = uri;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    const raw = rest.slice(hash + 1);
    u.Fragment = percentDecode(raw);
    if (goEscape(u.Fragment, 'fragment') !== raw) u.RawFragment = raw;
    rest = rest.slice(0, hash);
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (scheme) {
    u.Scheme = (scheme[1] as string).toLowerCase();
    rest = rest.slice(scheme[0].length);
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    u.RawQuery = rest.slice(q + 1);
    u.ForceQuery = u.RawQuery === '';
    rest = rest.slice(0, q);
  }
  if (u.Scheme !== '' && !rest.startsWith('/')) u.Opaque = rest;
  else {
    if (rest.startsWith('//')) {
      const slash = rest.indexOf('/', 2);
      let authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
      rest = slash < 0 ? '' : rest.slice(slash);
      const at = authority.lastIndexOf('@');
      if (at >= 0) {
        u.User = {};
        authority = authority.slice(at + 1);
      }
      u.Host = percentDecode(authority);
    }
    u.Path = percentDecode(rest);
    if (goEscape(u.Path, 'path') !== rest) u.RawPath = rest;
  }
  return fromJS(u);
}

/** Go's JSON of a certificate (the commonly used fields); nil lists are null as Go writes them. */
function certificateValue(c: Certificate, withURIStrings: boolean): Value {
  const san = c.cert.subjectAltName ?? '';
  const names = (prefix: string): Value => {
    const list = san
      .split(', ')
      .filter((s) => s.startsWith(prefix))
      .map((s) => s.slice(prefix.length));
    return list.length > 0 ? list : null;
  };
  const uriList = names('URI:') as string[] | null;
  const serial = BigInt('0x' + c.cert.serialNumber);
  const entries: [Value, Value][] = [
    ['Version', c.version],
    ['SerialNumber', serial <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(serial) : serial],
    ['Issuer', c.issuer ? parseName(c.der, c.issuer) : null],
    ['Subject', c.subject ? parseName(c.der, c.subject) : null],
    ['NotBefore', new Date(c.cert.validFrom).toISOString().replace('.000Z', 'Z')],
    ['NotAfter', new Date(c.cert.validTo).toISOString().replace('.000Z', 'Z')],
    ['IsCA', c.cert.ca],
    ['DNSNames', names('DNS:')],
    ['EmailAddresses', names('email:')],
    ['IPAddresses', names('IP Address:')],
    ['URIs', uriList === null ? null : uriList.map(goURL)],
  ];
  if (withURIStrings) entries.push(['URIStrings', names('URI:')]);
  return new RegoObject(entries);
}

register('crypto.x509.parse_certificates', 1, (args, ctx) => {
  const input = str(args, 0);
  ctx.alloc(stringBytes(input.length) * 2);
  return certificatesFrom(input).map((der) => certificateValue(parseCertificate(der), true));
});

register('crypto.x509.parse_keypair', 2, (args, ctx) => {
  ctx.alloc(stringBytes(str(args, 0).length + str(args, 1).length) * 2);
  const certs = certificatesFrom(str(args, 0));
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

// ---- chain verification (Go's x509.Certificate.Verify with the options OPA passes) ----------------

const EXT_KEY_USAGES: Record<string, string> = {
  KeyUsageAny: '2.5.29.37.0',
  KeyUsageServerAuth: '1.3.6.1.5.5.7.3.1',
  KeyUsageClientAuth: '1.3.6.1.5.5.7.3.2',
  KeyUsageCodeSigning: '1.3.6.1.5.5.7.3.3',
  KeyUsageEmailProtection: '1.3.6.1.5.5.7.3.4',
  KeyUsageIPSECEndSystem: '1.3.6.1.5.5.7.3.5',
  KeyUsageIPSECTunnel: '1.3.6.1.5.5.7.3.6',
  KeyUsageIPSECUser: '1.3.6.1.5.5.7.3.7',
  KeyUsageTimeStamping: '1.3.6.1.5.5.7.3.8',
  KeyUsageOCSPSigning: '1.3.6.1.5.5.7.3.9',
  KeyUsageMicrosoftServerGatedCrypto: '1.3.6.1.4.1.311.10.3.3',
  KeyUsageNetscapeServerGatedCrypto: '2.16.840.1.113730.4.1',
  KeyUsageMicrosoftCommercialCodeSigning: '1.3.6.1.4.1.311.2.1.22',
  KeyUsageMicrosoftKernelCodeSigning: '1.3.6.1.4.1.311.61.1.1',
};
const ANY_USAGE = EXT_KEY_USAGES.KeyUsageAny as string;
const SERVER_AUTH = EXT_KEY_USAGES.KeyUsageServerAuth as string;
const SERVER_GATED = new Set([
  EXT_KEY_USAGES.KeyUsageMicrosoftServerGatedCrypto,
  EXT_KEY_USAGES.KeyUsageNetscapeServerGatedCrypto,
]);

/** Critical extensions Go's parser handles; any other critical one makes a certificate unusable. */
const HANDLED_CRITICAL = new Set([
  '2.5.29.14', // subject key id
  '2.5.29.15', // key usage
  '2.5.29.17', // subject alternative name
  '2.5.29.19', // basic constraints
  '2.5.29.30', // name constraints
  '2.5.29.31', // CRL distribution points
  '2.5.29.32', // certificate policies
  '2.5.29.35', // authority key id
  '2.5.29.36', // policy constraints
  '2.5.29.37', // extended key usage
  '2.5.29.54', // inhibit anyPolicy
  '2.5.29.33', // policy mappings
]);

function hasUnhandledCritical(c: Certificate): boolean {
  for (const [id, ext] of c.extensions) if (ext.critical && !HANDLED_CRITICAL.has(id)) return true;
  return false;
}

/** Signature algorithms Go refuses to verify (SHA-1, MD5, MD2 and DSA). */
const INSECURE_SIGNATURES = new Set([
  '1.2.840.113549.1.1.2',
  '1.2.840.113549.1.1.4',
  '1.2.840.113549.1.1.5',
  '1.2.840.10045.4.1',
  '1.2.840.10040.4.3',
  '2.16.840.1.101.3.4.3.2',
]);

interface VerifyOptions {
  dnsName: string;
  /** Nanoseconds since the epoch; undefined means now. */
  currentTimeNs?: bigint;
  keyUsages: string[];
}

/** basicConstraints: whether present, cA, and pathLenConstraint (-1 when absent). */
function basicConstraints(c: Certificate): { valid: boolean; isCA: boolean; maxPathLen: number } {
  const ext = c.extensions.get('2.5.29.19');
  if (!ext) return { valid: false, isCA: false, maxPathLen: -1 };
  const seq = readDer(ext.value, 0);
  let isCA = false;
  let maxPathLen = -1;
  for (const el of children(ext.value, seq)) {
    if (el.tag === 0x01) isCA = ext.value[el.contentStart] !== 0;
    else if (el.tag === 0x02) maxPathLen = ext.value.readUIntBE(el.contentStart, Math.min(6, el.end - el.contentStart));
  }
  return { valid: true, isCA, maxPathLen };
}

/** extKeyUsage OIDs; undefined when the certificate has none (any usage). */
function extKeyUsages(c: Certificate): string[] | undefined {
  const ext = c.extensions.get('2.5.29.37');
  if (!ext) return undefined;
  return children(ext.value, readDer(ext.value, 0)).map((el) => oid(ext.value, el));
}

/** Go's isValid: validity period, CA constraints for intermediates, path length. */
function validInChain(
  c: Certificate,
  kind: 'leaf' | 'intermediate' | 'root',
  chain: Certificate[],
  nowMs: number,
): boolean {
  if (nowMs < Date.parse(c.cert.validFrom) || nowMs > Date.parse(c.cert.validTo)) return false;
  // Go does not implement name constraints here; refuse rather than accept what it might not.
  if (kind !== 'leaf' && c.extensions.has('2.5.29.30')) return false;
  const bc = basicConstraints(c);
  if (kind === 'intermediate' && (!bc.valid || !bc.isCA)) return false;
  if (bc.valid && bc.maxPathLen >= 0 && chain.length - 1 > bc.maxPathLen) return false;
  return true;
}

/** Whether `parent` issued `child`: names match byte for byte and the signature verifies. */
function issued(parent: Certificate, child: Certificate): boolean {
  if (!parent.rawSubject.equals(child.rawIssuer)) return false;
  if (INSECURE_SIGNATURES.has(child.signatureAlgorithm)) return false;
  try {
    return child.cert.verify(parent.cert.publicKey);
  } catch {
    return false;
  }
}

/** Go's checkChainForKeyUsage: walking from the root, each certificate's usages cross out requested ones. */
function chainAllowsUsages(chain: Certificate[], requested: string[]): boolean {
  const remaining = new Set(requested);
  for (let i = chain.length - 1; i >= 0; i--) {
    const usages = extKeyUsages(chain[i] as Certificate);
    if (!usages || usages.length === 0 || usages.includes(ANY_USAGE)) continue;
    for (const want of [...remaining]) {
      const ok = usages.includes(want) || (want === SERVER_AUTH && usages.some((u) => SERVER_GATED.has(u)));
      if (!ok) remaining.delete(want);
    }
    if (remaining.size === 0) return false;
  }
  return true;
}

/**
 * OPA's verifyX509CertificateChain: the first certificate is the root, the last the leaf, the others
 * intermediates; returns the first chain Go would build (leaf first), or undefined.
 */
function verifyChain(certs: Certificate[], opts: VerifyOptions, ctx: BuiltinContext): Certificate[] | undefined {
  if (certs.length < 2) return undefined;
  const root = certs[0] as Certificate;
  const intermediates = certs.slice(1, -1);
  const leaf = certs[certs.length - 1] as Certificate;
  const nowMs =
    opts.currentTimeNs === undefined ? Number(ctx.nowNs / 1_000_000n) : Number(opts.currentTimeNs / 1_000_000n);
  if (hasUnhandledCritical(leaf)) return undefined;
  if (opts.dnsName !== '') {
    const ok = isIP(opts.dnsName)
      ? leaf.cert.checkIP(opts.dnsName) !== undefined
      : leaf.cert.checkHost(opts.dnsName.replace(/\.$/, ''), { subject: 'never', partialWildcards: false }) !==
        undefined;
    if (!ok) return undefined;
  }
  if (!validInChain(leaf, 'leaf', [], nowMs)) return undefined;
  const usages = opts.keyUsages.length > 0 ? opts.keyUsages : [SERVER_AUTH];
  const anyUsage = usages.includes(ANY_USAGE);
  // Depth-first like Go's buildChains: roots before intermediates; Go caps signature checks at 100.
  let checks = 0;
  const build = (chain: Certificate[]): Certificate[] | undefined => {
    const current = chain[chain.length - 1] as Certificate;
    const candidates: Array<[Certificate, 'root' | 'intermediate']> = [
      [root, 'root'],
      ...intermediates.map((c): [Certificate, 'intermediate'] => [c, 'intermediate']),
    ];
    for (const [candidate, kind] of candidates) {
      if (chain.includes(candidate)) continue;
      if (!candidate.rawSubject.equals(current.rawIssuer)) continue;
      if (++checks > 100) return undefined;
      ctx.step(1000);
      if (
        hasUnhandledCritical(candidate) ||
        !issued(candidate, current) ||
        !validInChain(candidate, kind, chain, nowMs)
      )
        continue;
      const next = [...chain, candidate];
      if (kind === 'root') {
        if (anyUsage || chainAllowsUsages(next, usages)) return next;
        continue;
      }
      const found = build(next);
      if (found) return found;
    }
    return undefined;
  };
  // The leaf may itself be the root.
  if (leaf.der.equals(root.der)) return anyUsage || chainAllowsUsages([leaf], usages) ? [leaf] : undefined;
  return build([leaf]);
}

/** OPA's extractVerifyOpts. */
function verifyOptions(o: RegoObject): VerifyOptions {
  const opts: VerifyOptions = { dnsName: '', keyUsages: [] };
  for (const [k, v] of o.sortedEntries()) {
    if (typeof k !== 'string') continue;
    switch (k) {
      case 'DNSName':
        if (typeof v !== 'string') throw new BuiltinError("'DNSName' should be a string");
        opts.dnsName = v.replace(/^"+|"+$/g, '');
        break;
      case 'CurrentTime': {
        if (!isNumber(v)) throw new BuiltinError("'CurrentTime' should be a number");
        // OPA reads it with ast.Number.Int64 (util.Atoi64): `1e9` or `1.5` is none.
        const n = int64Text(v);
        if (n === undefined) throw new BuiltinError("'CurrentTime' should be a valid int64 number");
        opts.currentTimeNs = n;
        break;
      }
      case 'MaxConstraintComparisons':
        // Only bounds name-constraint checks, which chains with name constraints never reach here.
        if (!isNumber(v)) throw new BuiltinError("'MaxConstraintComparisons' should be a number");
        if (typeof numberValue(v) === 'number' && !Number.isInteger(numberValue(v)))
          throw new BuiltinError("'MaxConstraintComparisons' should be a valid number");
        break;
      case 'KeyUsages': {
        const items = Array.isArray(v) ? v : v instanceof RegoSet ? v.sorted() : undefined;
        if (!items) throw new BuiltinError("'KeyUsages' should be an Array or Set");
        const invalid: string[] = [];
        for (const item of items) {
          if (typeof item !== 'string') continue;
          const name = item.replace(/^"+|"+$/g, '');
          const id = EXT_KEY_USAGES[name];
          if (id) opts.keyUsages.push(id);
          else invalid.push(name);
        }
        if (invalid.length > 0) throw new BuiltinError(`invalid entries for 'KeyUsages' found: [${invalid.join(' ')}]`);
        break;
      }
      default:
        throw new BuiltinError('invalid key option');
    }
  }
  return opts;
}

function parseAndVerify(input: string, opts: RegoObject | undefined, ctx: BuiltinContext): Value {
  ctx.alloc(stringBytes(input.length) * 2);
  const unverified: Value = [false, []];
  let certs: Certificate[];
  try {
    certs = certificatesFrom(input).map(parseCertificate);
  } catch (err) {
    if (err instanceof BuiltinError) return unverified;
    throw err;
  }
  const chain = verifyChain(certs, opts ? verifyOptions(opts) : { dnsName: '', keyUsages: [] }, ctx);
  if (!chain) return unverified;
  // Only the builtin without options adds URIStrings (OPA's extendCertificates).
  return [true, chain.map((c) => certificateValue(c, opts === undefined))];
}

register('crypto.x509.parse_and_verify_certificates', 1, (args, ctx) => parseAndVerify(str(args, 0), undefined, ctx));
register('crypto.x509.parse_and_verify_certificates_with_options', 2, (args, ctx) => {
  const input = str(args, 0);
  return parseAndVerify(input, obj(args, 1), ctx);
});
