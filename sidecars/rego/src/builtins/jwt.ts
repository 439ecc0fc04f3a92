// JWT builtins (io.jwt.*) as OPA's v1/topdown/tokens.go does them: the same order of checks, header
// parameters (`crit`, `kid`, `cty`), nested tokens, key selection, and error texts; crypto via node:crypto.
import {
  X509Certificate,
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { RegoObject, isNumber, toGoJSONText, toJSONText, type Value } from '../value';
import { parseJSON } from './encoding';
import { BuiltinError, obj, operandError, register, str, stringBytes, type BuiltinContext } from './registry';

/** Algorithms OPA knows (tokenAlgorithms); a JWK with another `alg` is skipped. */
const ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'HS256',
  'HS384',
  'HS512',
  'EdDSA',
]);
const HASHES: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** Parsing a token or key costs work and memory in proportion to its text. */
function charge(ctx: BuiltinContext, ...texts: string[]): void {
  for (const t of texts) ctx.alloc(stringBytes(t.length) * 2);
}

/** OPA's base64url.decode: adds missing padding, then Go's URLEncoding (errors without a prefix). */
function base64URLDecode(s: string): Buffer {
  let t = s;
  if (!t.endsWith('=')) {
    if (t.length % 4 === 1) throw new BuiltinError(`illegal base64url string: ${s}`);
    t += '='.repeat((4 - (t.length % 4)) % 4);
  }
  for (let i = 0; i < t.length; i++) {
    const c = t[i] as string;
    if (c === '=') {
      // Padding only at the end of a complete quantum.
      if (t.length % 4 !== 0 || i < t.length - 2 || !/^=+$/.test(t.slice(i)))
        throw new BuiltinError(`illegal base64 data at input byte ${i}`);
      break;
    }
    if (!/[A-Za-z0-9_-]/.test(c)) throw new BuiltinError(`illegal base64 data at input byte ${i}`);
  }
  if (t.length % 4 !== 0) throw new BuiltinError(`illegal base64 data at input byte ${t.length}`);
  return Buffer.from(t, 'base64url');
}

/** The text of a builtin error without its code prefix. */
function reason(err: BuiltinError): string {
  return err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
}

function withPrefix<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof BuiltinError) throw new BuiltinError(`${prefix}${reason(err)}`);
    throw err;
  }
}

/** OPA's extractJSONObject. */
function jsonObject(text: string): RegoObject {
  const v = withPrefix('invalid JSON: ', () => parseJSON(text));
  if (!(v instanceof RegoObject)) throw new BuiltinError('decoded JSON type was not an Object');
  return v;
}

interface Token {
  header: string;
  payload: string;
  signature: string;
}

/** OPA's decodeJWT: only splits the compact serialisation. */
function splitToken(token: string): Token {
  if (!token.includes('.')) throw new BuiltinError('encoded JWT had no period separators');
  const parts = token.split('.');
  if (parts.length !== 3) throw new BuiltinError(`encoded JWT must have 3 sections, found ${parts.length}`);
  const [header, payload, signature] = parts as [string, string, string];
  return { header, payload, signature };
}

function decodeHeader(token: Token): RegoObject {
  const text = withPrefix('JWT header had invalid encoding: ', () => base64URLDecode(token.header)).toString('utf8');
  const header = withPrefix('bad JWT header: ', () => jsonObject(text));
  if (header.get('enc') !== undefined) throw new BuiltinError('JWT is a JWE object, which is not supported');
  return header;
}

interface HeaderParams {
  alg: string;
  kid: string;
  cty: string;
  crit: Set<string>;
  unknown: string[];
}

/** OPA's parseTokenHeader: the registered parameters must have their types; others are noted. */
function headerParams(header: RegoObject): HeaderParams {
  const out: HeaderParams = { alg: '', kid: '', cty: '', crit: new Set(), unknown: [] };
  for (const [k, v] of header.sortedEntries()) {
    const name = String(k);
    if (name === 'alg' || name === 'kid' || name === 'typ' || name === 'cty') {
      if (typeof v !== 'string') throw new BuiltinError(`${name}: must be a string`);
      if (name !== 'typ') out[name] = v;
    } else if (name === 'crit') {
      if (!Array.isArray(v)) throw new BuiltinError('crit: must be a list');
      for (const e of v) if (typeof e === 'string') out.crit.add(e);
      if (out.crit.size === 0) throw new BuiltinError('crit: must be a nonempty list');
    } else out.unknown.push(name);
  }
  return out;
}

/** RFC 7515: `alg` is required, and a critical parameter this implementation does not know invalidates. */
function headerValid(h: HeaderParams): boolean {
  return h.alg !== '' && !h.unknown.some((u) => h.crit.has(u));
}

// ---- keys --------------------------------------------------------------------------------------

/** A verification key: asymmetric, or a symmetric JWK's bytes; `alg`/`kid` come from a JWK. */
interface VerificationKey {
  alg: string;
  kid: string;
  key: KeyObject | Buffer;
}

const PEM_BLOCK = /-----BEGIN ([^\n-]*)-----\r?\n([\s\S]*?)-----END \1-----[ \t]*(?:\r?\n|$)/;

function jwkKey(jwk: RegoObject): KeyObject | Buffer {
  const json = JSON.parse(toJSONText(jwk)) as Record<string, unknown>;
  if (json.kty === 'oct') {
    if (typeof json.k !== 'string') throw new Error('missing "k"');
    return Buffer.from(json.k, 'base64url');
  }
  return json.d !== undefined
    ? createPrivateKey({ key: json as never, format: 'jwk' })
    : createPublicKey({ key: json as never, format: 'jwk' });
}

/** A JWK or a JWK set (`{"keys": [...]}`), as jwx's jwk.Parse reads it. */
function parseJWKs(text: string): RegoObject[] {
  const v = parseJSON(text);
  if (!(v instanceof RegoObject)) throw new BuiltinError('invalid JWK: not a JSON object');
  const keys = v.get('keys');
  if (keys === undefined) return [v];
  if (!Array.isArray(keys)) throw new BuiltinError('invalid JWK set: "keys" must be an array');
  return keys.map((k) => {
    if (!(k instanceof RegoObject)) throw new BuiltinError('invalid JWK set: a key is not a JSON object');
    return k;
  });
}

/** OPA's parseKeysFromCertOrJWK: one PEM certificate or public key, else a JWK or JWK set. */
function verificationKeys(text: string): VerificationKey[] {
  const m = PEM_BLOCK.exec(text);
  if (m) {
    if (text.slice((m.index ?? 0) + m[0].length).length > 0)
      throw new BuiltinError('extra data after a PEM certificate block');
    if (m[1] === 'CERTIFICATE') {
      try {
        return [{ alg: '', kid: '', key: new X509Certificate(m[0]).publicKey }];
      } catch (err) {
        throw new BuiltinError(`failed to parse a PEM certificate: ${(err as Error).message}`);
      }
    }
    if (m[1] === 'PUBLIC KEY') {
      try {
        return [{ alg: '', kid: '', key: createPublicKey(m[0]) }];
      } catch (err) {
        throw new BuiltinError(`failed to parse a PEM public key: ${(err as Error).message}`);
      }
    }
    throw new BuiltinError('failed to extract a Key from the PEM certificate');
  }
  const jwks = withPrefix('failed to parse a JWK key (set): ', () => parseJWKs(text));
  const keys: VerificationKey[] = [];
  for (const jwk of jwks) {
    let key: KeyObject | Buffer;
    try {
      key = jwkKey(jwk);
    } catch (err) {
      throw new BuiltinError(`failed to parse a JWK key (set): ${(err as Error).message}`);
    }
    const alg = jwk.get('alg');
    const kid = jwk.get('kid');
    const algText = typeof alg === 'string' ? alg : '';
    if (algText !== '' && !ALGORITHMS.has(algText)) continue;
    keys.push({ alg: algText, kid: typeof kid === 'string' ? kid : '', key });
  }
  return keys;
}

/** jwsbb.Verify: the signature of `input` under `alg` with `key`; a key of the wrong kind does not verify. */
function verifies(key: KeyObject | Buffer, alg: string, input: string, signature: Buffer): boolean {
  const family = alg.slice(0, 2);
  const hash = HASHES[alg.slice(2)];
  const data = Buffer.from(input, 'utf8');
  if (Buffer.isBuffer(key)) {
    if (family !== 'HS' || !hash) return false;
    const mac = createHmac(hash, key).update(data).digest();
    return mac.length === signature.length && timingSafeEqual(mac, signature);
  }
  const type = key.asymmetricKeyType;
  try {
    if (alg === 'EdDSA') return type === 'ed25519' && cryptoVerify(null, data, key, signature);
    if (!hash) return false;
    if (family === 'RS') return type === 'rsa' && cryptoVerify(hash, data, key, signature);
    // Go's rsa.VerifyPSS with nil options detects the salt length.
    if (family === 'PS')
      return (
        (type === 'rsa' || type === 'rsa-pss') &&
        cryptoVerify(hash, data, { key, padding: 6, saltLength: -2 }, signature)
      );
    if (family === 'ES')
      return type === 'ec' && cryptoVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    // a malformed signature does not verify
  }
  return false;
}

/** Keys to try: the one whose `kid` the header names, else each key whose `alg` (if any) matches. */
function verifiesWithAny(
  keys: VerificationKey[],
  h: HeaderParams,
  signAlg: string,
  input: string,
  sig: Buffer,
): boolean {
  if (h.kid !== '') {
    const byKid = keys.find((k) => k.kid === h.kid);
    if (byKid) return verifies(byKid.key, signAlg, input, sig);
  }
  return keys.some((k) => (k.alg === '' || k.alg === h.alg) && verifies(k.key, signAlg, input, sig));
}

// ---- io.jwt.decode, io.jwt.verify_* -------------------------------------------------------------

/** Each nesting level's token is the base64 text of the next, so the levels shrink and their total is bounded. */
function decodeToken(text: string, ctx: BuiltinContext): Value {
  charge(ctx, text);
  const token = splitToken(text);
  const header = decodeHeader(token);
  const payload = withPrefix('JWT payload had invalid encoding: ', () => base64URLDecode(token.payload)).toString(
    'utf8',
  );
  // A nested token's payload is the inner token, possibly quoted (as jwt.io writes it).
  if (header.get('cty') === 'JWT') {
    return decodeToken(payload.replace(/^["']+|["']+$/g, ''), ctx);
  }
  const claims = jsonObject(payload);
  const signature = withPrefix('JWT signature had invalid encoding: ', () => base64URLDecode(token.signature));
  return [header, claims, signature.toString('hex')];
}

register('io.jwt.decode', 1, (args, ctx) => {
  return decodeToken(str(args, 0), ctx);
});

for (const alg of ALGORITHMS) {
  const name = `io.jwt.verify_${alg.toLowerCase()}`;
  if (alg.startsWith('HS')) {
    register(name, 2, (args, ctx) => {
      const jwt = str(args, 0);
      const secret = str(args, 1);
      charge(ctx, jwt, secret);
      const token = splitToken(jwt);
      const signature = base64URLDecode(token.signature);
      return verifies(Buffer.from(secret, 'utf8'), alg, `${token.header}.${token.payload}`, signature);
    });
    continue;
  }
  register(name, 2, (args, ctx) => {
    const jwt = args[0] as Value;
    if (typeof jwt !== 'string') throw operandError(1, 'string', jwt);
    const token = splitToken(jwt);
    const keyText = str(args, 1);
    charge(ctx, jwt, keyText);
    const keys = verificationKeys(keyText);
    const signature = base64URLDecode(token.signature);
    const h = headerParams(decodeHeader(token));
    return verifiesWithAny(keys, h, alg, `${token.header}.${token.payload}`, signature);
  });
}

// ---- io.jwt.decode_verify ------------------------------------------------------------------------

interface Constraints {
  keys?: VerificationKey[];
  secret: string;
  alg: string;
  iss: string;
  aud: string;
  /** Nanoseconds since the epoch. */
  time: number;
}

function stringConstraint(name: string, v: Value): string {
  if (typeof v !== 'string') throw new BuiltinError(`${name} constraint: must be a string`);
  return v;
}

function timeConstraint(v: Value): number {
  if (!isNumber(v)) throw new BuiltinError('token time constraint: must be a number');
  const t = Number(v);
  if (t < 0) throw new BuiltinError('token time constraint: must not be negative');
  return t;
}

function parseConstraints(o: RegoObject, ctx: BuiltinContext): Constraints {
  const c: Constraints = { secret: '', alg: '', iss: '', aud: '', time: -1 };
  for (const [k, v] of o.sortedEntries()) {
    const name = String(k);
    switch (name) {
      case 'cert':
        c.keys = verificationKeys(stringConstraint('cert', v));
        break;
      case 'secret':
      case 'alg':
      case 'iss':
      case 'aud':
        c[name] = stringConstraint(name, v);
        break;
      case 'time':
        c.time = timeConstraint(v);
        break;
      default:
        throw new BuiltinError(`unknown token validation constraint: ${name}`);
    }
  }
  if (c.time === -1) c.time = Number(ctx.nowNs);
  const keyKinds = (c.keys ? 1 : 0) + (c.secret !== '' ? 1 : 0);
  if (keyKinds > 1) throw new BuiltinError('duplicate key constraints');
  if (keyKinds < 1) throw new BuiltinError('no key constraint');
  return c;
}

function validAudience(aud: Value, want: string): boolean {
  if (typeof aud === 'string') return aud === want;
  return Array.isArray(aud) && aud.some((e) => e === want);
}

register('io.jwt.decode_verify', 2, (args, ctx) => {
  const constraintsArg = obj(args, 1);
  const unverified: Value = [false, new RegoObject(), new RegoObject()];
  const c = parseConstraints(constraintsArg, ctx);
  let jwt = args[0] as Value;
  if (typeof jwt !== 'string') throw operandError(1, 'string', jwt);
  let header: RegoObject;
  let payloadText: string;
  // RFC 7519 7.2: verify each level; a `cty: JWT` payload is the next (shorter) token.
  for (;;) {
    charge(ctx, jwt);
    const token = splitToken(jwt);
    header = decodeHeader(token);
    const h = headerParams(header);
    if (!headerValid(h)) return unverified;
    if (c.alg !== '' && c.alg !== h.alg) return unverified;
    const signature = base64URLDecode(token.signature);
    const input = `${token.header}.${token.payload}`;
    const ok = c.keys
      ? verifiesWithAny(c.keys, h, h.alg, input, signature)
      : verifies(Buffer.from(c.secret, 'utf8'), h.alg, input, signature);
    if (!ok) return unverified;
    payloadText = withPrefix('JWT payload had invalid encoding: ', () => base64URLDecode(token.payload)).toString(
      'utf8',
    );
    if (h.cty.toUpperCase() !== 'JWT') break;
    jwt = payloadText;
  }
  const payload = jsonObject(payloadText);
  if (c.iss !== '' && payload.get('iss') !== c.iss) return unverified;
  const aud = payload.get('aud');
  if (aud !== undefined ? !validAudience(aud, c.aud) : c.aud !== '') return unverified;
  const nowSeconds = c.time / 1e9;
  const exp = payload.get('exp');
  if (exp !== undefined) {
    if (!isNumber(exp)) throw new BuiltinError('exp value must be a number');
    if (nowSeconds >= Number(exp)) return unverified;
  }
  const nbf = payload.get('nbf');
  if (nbf !== undefined) {
    if (!isNumber(nbf)) throw new BuiltinError('nbf value must be a number');
    if (nowSeconds < Number(nbf)) return unverified;
  }
  return [true, header, payload];
});

// ---- io.jwt.encode_sign[_raw] -------------------------------------------------------------------

/**
 * The header's `alg` as jwx's jwsbb reads it (with fastjson): unparseable text is "cannot parse JSON", a
 * value that is not an object has no `alg`, and a non-string `alg` is refused.
 */
function headerString(text: string, name: string): string {
  const trimmed = text.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  if (trimmed === '') throw new BuiltinError('cannot parse JSON: cannot parse empty string');
  let v: Value;
  try {
    v = parseJSON(trimmed);
  } catch (err) {
    // fastjson reads any run of number characters (and inf/nan) as a number, which has no fields.
    if (/^[0-9.eE+-]+$/.test(trimmed) || /^[+-]?(inf|nan)/i.test(trimmed))
      throw new BuiltinError(`jwsbb: header "${name}" not found`);
    throw new BuiltinError(`cannot parse JSON: ${err instanceof BuiltinError ? reason(err) : String(err)}`);
  }
  const field = v instanceof RegoObject ? v.get(name) : undefined;
  if (field === undefined) throw new BuiltinError(`jwsbb: header "${name}" not found`);
  if (typeof field !== 'string') throw new BuiltinError(`value doesn't contain string; it contains ${jsonKind(field)}`);
  return field;
}

function jsonKind(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (isNumber(v)) return 'number';
  return Array.isArray(v) ? 'array' : 'object';
}

function isJSON(text: string): boolean {
  try {
    parseJSON(text);
    return true;
  } catch {
    return false;
  }
}

function signWith(key: KeyObject | Buffer, alg: string, input: string): Buffer {
  const family = alg.slice(0, 2);
  const hash = HASHES[alg.slice(2)];
  const data = Buffer.from(input, 'utf8');
  if (family === 'HS' && hash) {
    if (!Buffer.isBuffer(key)) throw new BuiltinError(`invalid key type for ${alg}: a symmetric (oct) key is required`);
    return createHmac(hash, key).update(data).digest();
  }
  if (Buffer.isBuffer(key)) throw new BuiltinError(`invalid key type for ${alg}: a symmetric (oct) key cannot sign`);
  if (key.type !== 'private') throw new BuiltinError(`invalid key type for ${alg}: a private key is required`);
  const type = key.asymmetricKeyType;
  try {
    if (alg === 'EdDSA' && type === 'ed25519') return cryptoSign(null, data, key);
    if (family === 'RS' && hash && type === 'rsa') return cryptoSign(hash, data, key);
    if (family === 'PS' && hash && type === 'rsa') return cryptoSign(hash, data, { key, padding: 6, saltLength: -1 });
    if (family === 'ES' && hash && type === 'ec') return cryptoSign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
  } catch (err) {
    throw new BuiltinError(`failed to sign with ${alg}: ${(err as Error).message}`);
  }
  throw new BuiltinError(`invalid key type for ${alg}: ${type ?? 'unknown'} key`);
}

/** OPA's commonBuiltinJWTEncodeSign over the header, payload and JWK texts. */
function encodeSign(headerText: string, payloadText: string, jwkText: string, ctx: BuiltinContext): string {
  charge(ctx, headerText, payloadText, jwkText);
  const jwks = withPrefix('failed to parse a JWK key (set): ', () => parseJWKs(jwkText));
  const first = jwks[0];
  if (!first) throw new BuiltinError('no keys found in JWK set');
  let key: KeyObject | Buffer;
  try {
    key = jwkKey(first);
  } catch (err) {
    throw new BuiltinError(`failed to parse a JWK key (set): ${(err as Error).message}`);
  }
  const alg = withPrefix("missing or invalid 'alg' header: ", () => headerString(headerText, 'alg'));
  if (!ALGORITHMS.has(alg)) throw new BuiltinError(`unknown JWS algorithm: ${alg}`);
  let typ: string | undefined;
  try {
    typ = headerString(headerText, 'typ');
  } catch {
    typ = undefined;
  }
  if ((typ === undefined || typ === 'JWT') && !isJSON(payloadText))
    throw new BuiltinError('type is JWT but payload is not JSON');
  const input = `${Buffer.from(headerText, 'utf8').toString('base64url')}.${Buffer.from(payloadText, 'utf8').toString('base64url')}`;
  return `${input}.${signWith(key, alg, input).toString('base64url')}`;
}

register('io.jwt.encode_sign', 3, (args, ctx) =>
  encodeSign(toGoJSONText(obj(args, 0)), toGoJSONText(obj(args, 1)), toGoJSONText(obj(args, 2)), ctx),
);
register('io.jwt.encode_sign_raw', 3, (args, ctx) => {
  const jwkText = str(args, 2);
  return encodeSign(str(args, 0), str(args, 1), jwkText, ctx);
});
