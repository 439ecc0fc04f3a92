// uuid, uri, semver and units builtins.
import { randomBytes } from 'node:crypto';
import { RegoObject, compareNumbers, type Value } from '../value';
import { moduleToJSON } from '../ast-json';
import { RegoError } from '../errors';
import { parseModule } from '../parser';
import { BuiltinError, numberResult, register, str } from './registry';

// rego.metadata.* read the annotations of the rule being evaluated; the evaluator answers them.
register('rego.metadata.chain', 0, () => undefined);
register('rego.metadata.rule', 0, () => undefined);

// ---- uuid ------------------------------------------------------------------------------------

register('uuid.rfc4122', 1, (args, ctx) => {
  const key = 'uuid.rfc4122:' + str(args, 0);
  const hit = ctx.cache.get(key);
  if (hit !== undefined) return hit;
  const b = randomBytes(16);
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  ctx.cache.set(key, id);
  return id;
});

register('uuid.parse', 1, (args) => {
  let s = str(args, 0);
  if (s.length === 45 && s.slice(0, 9).toLowerCase() === 'urn:uuid:') s = s.slice(9);
  else if (s.length === 38) s = s.slice(1, 37);
  else if (s.length === 32)
    s = `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s)) return undefined;
  const b = Buffer.from(s.replace(/-/g, ''), 'hex');
  const version = (b[6] as number) >> 4;
  const v8 = b[8] as number;
  const variant =
    (v8 & 0xc0) === 0x80
      ? 'RFC4122'
      : (v8 & 0xe0) === 0xc0
        ? 'Microsoft'
        : (v8 & 0xe0) === 0xe0
          ? 'Future'
          : 'Reserved';
  const out = new RegoObject([
    ['version', version],
    ['variant', variant],
  ]);
  if (version === 1 || version === 2) {
    let t = (BigInt(b.readUInt16BE(4)) << 32n) | (BigInt(b.readUInt16BE(6) & 0xfff) << 48n);
    t |= BigInt(b.readUInt32BE(0));
    const unixNs = (t - 0x01b21dd213814000n) * 100n;
    out.set('time', numberResult(unixNs));
    out.set('clocksequence', b.readUInt16BE(8) & 0x3fff);
    const node = b.subarray(10, 16);
    out.set('nodeid', [...node].map((x) => x.toString(16).padStart(2, '0')).join('-'));
    out.set(
      'macvariables',
      `${(node[0] as number) & 0x02 ? 'local' : 'global'}:${(node[0] as number) & 0x01 ? 'multicast' : 'unicast'}`,
    );
    if (version === 2) {
      const d = b[9] as number;
      out.set('domain', d === 0 ? 'Person' : d === 1 ? 'Group' : d === 2 ? 'Org' : `Domain${d}`);
      out.set('id', b.readUInt32BE(0));
    }
  }
  return out;
});

// ---- uri (Go net/url semantics) --------------------------------------------------------------

function unescape(s: string, host: boolean, whole: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex))
        throw new BuiltinError(
          `parse ${JSON.stringify(whole)}: invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`,
        );
      if (host && parseInt(hex, 16) < 0x80 && hex !== '25')
        throw new BuiltinError(
          `parse ${JSON.stringify(whole)}: invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`,
        );
    }
  }
  try {
    return decodeURIComponent(s);
  } catch {
    return Buffer.from(
      s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
  }
}

/** Parses a URL like Go's url.Parse, returning OPA's uri.parse object. */
function parseURI(raw: string): RegoObject {
  const out = new RegoObject();
  if (raw === '') return out;
  let rest = raw;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    out.set('fragment', unescape(rest.slice(hash + 1), false, raw));
    rest = rest.slice(0, hash);
  }
  if (/[\x00-\x1f\x7f]/.test(rest))
    throw new BuiltinError(`parse ${JSON.stringify(raw)}: net/url: invalid control character in URL`);
  const sm = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (sm) {
    out.set('scheme', (sm[1] as string).toLowerCase());
    rest = rest.slice(sm[0].length);
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    out.set('raw_query', rest.slice(q + 1));
    rest = rest.slice(0, q);
  }
  if (sm && !rest.startsWith('/')) {
    return out;
  }
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    const authority = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? '' : rest.slice(slash);
    let host = authority;
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo))
        throw new BuiltinError(`parse ${JSON.stringify(raw)}: net/url: invalid userinfo`);
      host = authority.slice(at + 1);
    }
    let hostname = host;
    let port: string | undefined;
    if (host.startsWith('[')) {
      const end = host.indexOf(']');
      if (end < 0) throw new BuiltinError(`parse ${JSON.stringify(raw)}: missing ']' in host`);
      hostname = host.slice(1, end);
      const after = host.slice(end + 1);
      if (after !== '') {
        if (!/^:[0-9]*$/.test(after))
          throw new BuiltinError(`parse ${JSON.stringify(raw)}: invalid port ${JSON.stringify(after)} after host`);
        port = after.slice(1);
      }
    } else {
      const colon = host.lastIndexOf(':');
      if (colon >= 0) {
        const p = host.slice(colon);
        if (!/^:[0-9]*$/.test(p))
          throw new BuiltinError(`parse ${JSON.stringify(raw)}: invalid port ${JSON.stringify(p)} after host`);
        port = p.slice(1);
        hostname = host.slice(0, colon);
      }
      hostname = unescape(hostname, true, raw);
    }
    if (hostname !== '') out.set('hostname', hostname);
    if (port) out.set('port', port);
  }
  if (rest !== '') {
    const path = unescape(rest, false, raw);
    out.set('path', path);
    // Go keeps RawPath only when the default escaping of Path differs from the original.
    out.set('raw_path', escapePath(path) === rest ? path : rest);
  }
  return out;
}

function escapePath(p: string): string {
  let out = '';
  for (const byte of Buffer.from(p, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

register('uri.parse', 1, (args) => parseURI(str(args, 0)));
register('uri.is_valid', 1, (args) => {
  const s = args[0] as Value;
  if (typeof s !== 'string' || s === '') return false;
  try {
    parseURI(s);
    return true;
  } catch {
    return false;
  }
});

// ---- semver ----------------------------------------------------------------------------------

const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

register('semver.is_valid', 1, (args) => {
  const v = args[0] as Value;
  // OPA 1.x accepts one leading `v` (v1.2.3), in is_valid and compare alike.
  return typeof v === 'string' && SEMVER.test(v);
});
register('semver.compare', 2, (args) => {
  const a = SEMVER.exec(str(args, 0));
  const b = SEMVER.exec(str(args, 1));
  if (!a) throw new BuiltinError(`operand 1: string ${JSON.stringify(args[0])} is not a valid SemVer`);
  if (!b) throw new BuiltinError(`operand 2: string ${JSON.stringify(args[1])} is not a valid SemVer`);
  for (let i = 1; i <= 3; i++) {
    const c = compareNumbers(BigInt(a[i] as string), BigInt(b[i] as string));
    if (c !== 0) return c;
  }
  const pa = a[4];
  const pb = b[4];
  if (pa === undefined && pb === undefined) return 0;
  if (pa === undefined) return 1;
  if (pb === undefined) return -1;
  const xa = pa.split('.');
  const xb = pb.split('.');
  for (let i = 0; i < Math.min(xa.length, xb.length); i++) {
    const ea = xa[i] as string;
    const eb = xb[i] as string;
    if (ea === eb) continue;
    const na = /^\d+$/.test(ea);
    const nb = /^\d+$/.test(eb);
    if (na && nb) return compareNumbers(BigInt(ea), BigInt(eb));
    if (na) return -1;
    if (nb) return 1;
    return ea < eb ? -1 : 1;
  }
  return Math.sign(xa.length - xb.length);
});

// ---- rego.parse_module -----------------------------------------------------------------------

register('rego.parse_module', 2, (args) => {
  const file = str(args, 0);
  try {
    return moduleToJSON(parseModule(str(args, 1), file, { regoVersion: 'v1' }));
  } catch (err) {
    if (err instanceof RegoError) throw new BuiltinError(err.message);
    throw err;
  }
});
