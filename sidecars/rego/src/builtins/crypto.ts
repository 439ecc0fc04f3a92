// Hashes, HMAC, JWT decode/verify/sign and key parsing via node:crypto.
import {
  X509Certificate,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { RegoObject, isNumber, toJSONText, valuesEqual, type Value } from '../value';
import { parseJSON } from './encoding';
import { BuiltinError, obj, register, str } from './registry';

for (const alg of ['md5', 'sha1', 'sha256', 'sha512']) {
  register(`crypto.${alg}`, 1, (args) => createHash(alg).update(str(args, 0), 'utf8').digest('hex'));
  register(`crypto.hmac.${alg}`, 2, (args) =>
    createHmac(alg, Buffer.from(str(args, 1), 'utf8'))
      .update(str(args, 0), 'utf8')
      .digest('hex'),
  );
}
register('crypto.hmac.equal', 2, (args) => {
  const a = Buffer.from(str(args, 0), 'utf8');
  const b = Buffer.from(str(args, 1), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
});

// ---- base64url as Go's RawURLEncoding ---------------------------------------------------------

function rawURLDecode(s: string, what: string): Buffer {
  const t = s.replace(/=+$/, '');
  for (let i = 0; i < t.length; i++) {
    if (!/[A-Za-z0-9_-]/.test(t[i] as string))
      throw new BuiltinError(`JWT ${what} had invalid encoding: illegal base64 data at input byte ${i}`);
  }
  if (t.length % 4 === 1)
    throw new BuiltinError(`JWT ${what} had invalid encoding: illegal base64 data at input byte ${t.length - 1}`);
  return Buffer.from(t, 'base64url');
}

interface DecodedJWT {
  header: RegoObject;
  payload: RegoObject;
  signature: Buffer;
  signingInput: string;
}

function decodeJWT(token: string): DecodedJWT {
  if (!token.includes('.')) throw new BuiltinError('encoded JWT had no period separators');
  const parts = token.split('.');
  if (parts.length === 5) throw new BuiltinError('JWT is a JWE object, which is not supported');
  if (parts.length !== 3) throw new BuiltinError(`encoded JWT must have 3 sections, found ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  const headerText = rawURLDecode(h, 'header').toString('utf8');
  let header: Value;
  try {
    header = parseJSON(headerText);
  } catch {
    throw new BuiltinError('JWT header had invalid encoding: not a JSON object');
  }
  if (!(header instanceof RegoObject)) throw new BuiltinError('JWT header had invalid encoding: not a JSON object');
  if (header.get('enc') !== undefined) throw new BuiltinError('JWT is a JWE object, which is not supported');
  const payloadBytes = rawURLDecode(p, 'payload');
  const signature = rawURLDecode(s, 'signature');
  let payloadText = payloadBytes.toString('utf8');
  if (header.get('cty') === 'JWT') {
    let inner: Value;
    try {
      inner = parseJSON(payloadText);
    } catch {
      throw new BuiltinError('type is JWT but payload is not JSON');
    }
    if (typeof inner !== 'string') throw new BuiltinError('type is JWT but payload is not JSON');
    return decodeJWT(inner);
  }
  let payload: Value;
  try {
    payload = parseJSON(payloadText);
  } catch {
    throw new BuiltinError('JWT payload had invalid encoding: not a JSON object');
  }
  if (!(payload instanceof RegoObject)) throw new BuiltinError('JWT payload had invalid encoding: not a JSON object');
  payloadText = '';
  return { header, payload, signature, signingInput: `${h}.${p}` };
}

register('io.jwt.decode', 1, (args) => {
  const d = decodeJWT(str(args, 0));
  return [d.header, d.payload, d.signature.toString('hex')];
});

// ---- keys --------------------------------------------------------------------------------------

function jwkToKey(jwk: RegoObject): KeyObject {
  const json = JSON.parse(toJSONText(jwk)) as Record<string, unknown>;
  try {
    if (json.kty === 'oct') throw new BuiltinError('symmetric JWK cannot verify asymmetric signatures');
    return json.d
      ? createPrivateKey({ key: json as never, format: 'jwk' })
      : createPublicKey({ key: json as never, format: 'jwk' });
  } catch (err) {
    if (err instanceof BuiltinError) throw err;
    throw new BuiltinError('failed to parse a JWK key (set)');
  }
}

/** Public keys from a PEM certificate/public key or a JWK / JWK set. */
function verificationKeys(text: string): KeyObject[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let v: Value;
    try {
      v = parseJSON(trimmed);
    } catch {
      throw new BuiltinError('failed to parse a JWK key (set)');
    }
    if (!(v instanceof RegoObject)) throw new BuiltinError('failed to parse a JWK key (set)');
    const keys = v.get('keys');
    if (Array.isArray(keys))
      return keys.map((k) =>
        k instanceof RegoObject
          ? jwkToKey(k)
          : (() => {
              throw new BuiltinError('failed to parse a JWK key (set)');
            })(),
      );
    return [jwkToKey(v)];
  }
  if (trimmed.includes('-----BEGIN CERTIFICATE-----')) {
    const blocks = trimmed.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    const rest = trimmed.replace(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g, '').trim();
    if (rest.length > 0) throw new BuiltinError('extra data after a PEM certificate block');
    return blocks.map((b) => {
      try {
        return new X509Certificate(b).publicKey;
      } catch {
        throw new BuiltinError('failed to parse a PEM certificate');
      }
    });
  }
  if (trimmed.includes('-----BEGIN')) {
    try {
      return [createPublicKey(trimmed)];
    } catch {
      throw new BuiltinError('failed to extract a Key from the PEM certificate');
    }
  }
  throw new BuiltinError('failed to extract a Key from the PEM certificate');
}

const HASHES: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

function verifySignature(alg: string, signingInput: string, signature: Buffer, keyText: string): boolean {
  const family = alg.slice(0, 2);
  const hash = HASHES[alg.slice(2)];
  if (family === 'HS' && hash) {
    const mac = createHmac(hash, Buffer.from(keyText, 'utf8')).update(signingInput).digest();
    return mac.length === signature.length && timingSafeEqual(mac, signature);
  }
  const keys = verificationKeys(keyText);
  const data = Buffer.from(signingInput, 'utf8');
  for (const key of keys) {
    try {
      if (alg === 'EdDSA') {
        if (cryptoVerify(null, data, key, signature)) return true;
      } else if (family === 'RS' && hash) {
        if (cryptoVerify(hash, data, key, signature)) return true;
      } else if (family === 'PS' && hash) {
        if (cryptoVerify(hash, data, { key, padding: 6, saltLength: -2 }, signature)) return true;
      } else if (family === 'ES' && hash) {
        if (cryptoVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature)) return true;
      }
    } catch {
      // a key of the wrong type does not verify
    }
  }
  return false;
}

for (const alg of [
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
]) {
  register(`io.jwt.verify_${alg.toLowerCase()}`, 2, (args) => {
    const token = str(args, 0);
    const key = str(args, 1);
    const parts = token.split('.');
    if (parts.length !== 3) {
      if (!token.includes('.')) throw new BuiltinError('encoded JWT had no period separators');
      throw new BuiltinError(`encoded JWT must have 3 sections, found ${parts.length}`);
    }
    const signature = rawURLDecode(parts[2] as string, 'signature');
    return verifySignature(alg, `${parts[0]}.${parts[1]}`, signature, key);
  });
}

register('io.jwt.decode_verify', 2, (args, ctx) => {
  const token = str(args, 0);
  const constraints = obj(args, 1);
  const invalid: Value = [false, new RegoObject(), new RegoObject()];
  const d = decodeJWT(token);
  const alg = d.header.get('alg');
  if (typeof alg !== 'string') return invalid;
  const wantAlg = constraints.get('alg');
  if (wantAlg !== undefined && wantAlg !== alg) return invalid;
  const cert = constraints.get('cert');
  const secret = constraints.get('secret');
  for (const key of constraints.keys())
    if (typeof key !== 'string' || !['cert', 'secret', 'alg', 'iss', 'aud', 'time'].includes(key))
      throw new BuiltinError(`unknown token validation constraint: ${String(key)}`);
  if (cert === undefined && secret === undefined) throw new BuiltinError('no key specified in constraints');
  if (cert !== undefined && secret !== undefined) throw new BuiltinError('duplicate key constraints');
  let ok = false;
  // A token whose algorithm does not fit the supplied key kind is simply not verified.
  if (alg.startsWith('HS'))
    ok = typeof secret === 'string' && verifySignature(alg, d.signingInput, d.signature, secret);
  else ok = typeof cert === 'string' && verifySignature(alg, d.signingInput, d.signature, cert);
  if (!ok) return invalid;
  const t = constraints.get('time');
  const nowSec = (isNumber(t) ? Number(t) : Number(ctx.nowNs)) / 1e9;
  const exp = d.payload.get('exp');
  if (exp !== undefined) {
    if (!isNumber(exp)) throw new BuiltinError('exp value must be a number');
    if (nowSec >= Number(exp)) return invalid;
  }
  const nbf = d.payload.get('nbf');
  if (nbf !== undefined) {
    if (!isNumber(nbf)) throw new BuiltinError('nbf value must be a number');
    if (nowSec < Number(nbf)) return invalid;
  }
  const iss = constraints.get('iss');
  if (iss !== undefined && !valuesEqual(d.payload.get('iss') ?? null, iss)) return invalid;
  const aud = constraints.get('aud');
  const paud = d.payload.get('aud');
  if (aud === undefined) {
    if (paud !== undefined) return invalid;
  } else {
    if (paud === undefined) return invalid;
    const list = Array.isArray(paud) ? paud : [paud];
    if (!list.some((x) => valuesEqual(x, aud))) return invalid;
  }
  return [true, d.header, d.payload];
});

// ---- signing -----------------------------------------------------------------------------------

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

function signToken(headerText: string, payloadText: string, jwk: RegoObject): string {
  const header = parseJSON(headerText);
  if (!(header instanceof RegoObject)) throw new BuiltinError('invalid JWT header');
  const alg = header.get('alg');
  if (typeof alg !== 'string') throw new BuiltinError('invalid JWT header: missing alg');
  const input = `${b64url(headerText)}.${b64url(payloadText)}`;
  const hash = HASHES[alg.slice(2)];
  const family = alg.slice(0, 2);
  let sig: Buffer;
  if (family === 'HS' && hash) {
    const k = jwk.get('k');
    if (typeof k !== 'string') throw new BuiltinError('invalid JWK: missing k');
    sig = createHmac(hash, Buffer.from(k, 'base64url')).update(input).digest();
  } else {
    const key = jwkToKey(jwk);
    if (alg === 'EdDSA') sig = cryptoSign(null, Buffer.from(input), key);
    else if (family === 'RS' && hash) sig = cryptoSign(hash, Buffer.from(input), key);
    else if (family === 'PS' && hash) sig = cryptoSign(hash, Buffer.from(input), { key, padding: 6, saltLength: -1 });
    else if (family === 'ES' && hash) sig = cryptoSign(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    else throw new BuiltinError(`unsupported signature algorithm ${alg}`);
  }
  return `${input}.${b64url(sig)}`;
}

register('io.jwt.encode_sign', 3, (args) => {
  const header = obj(args, 0);
  const payload = obj(args, 1);
  const key = obj(args, 2);
  return signToken(toJSONText(header), toJSONText(payload), key);
});
register('io.jwt.encode_sign_raw', 3, (args) => {
  const headerText = str(args, 0);
  const payloadText = str(args, 1);
  let key: Value;
  try {
    key = parseJSON(str(args, 2));
  } catch {
    throw new BuiltinError('failed to parse a JWK key (set)');
  }
  if (!(key instanceof RegoObject)) throw new BuiltinError('failed to parse a JWK key (set)');
  try {
    const p = parseJSON(payloadText);
    if (!(p instanceof RegoObject)) throw new Error('not object');
  } catch {
    throw new BuiltinError('type is JWT but payload is not JSON');
  }
  return signToken(headerText, payloadText, key);
});

// ---- keys and certificates ----------------------------------------------------------------------

function pemOrBase64(text: string): string {
  if (text.includes('-----BEGIN')) return text;
  try {
    const decoded = Buffer.from(text, 'base64').toString('utf8');
    if (decoded.includes('-----BEGIN')) return decoded;
  } catch {
    // not base64
  }
  return text;
}

function keyToJWK(key: KeyObject): Value {
  return parseJSON(JSON.stringify(key.export({ format: 'jwk' })));
}

register('crypto.parse_private_keys', 1, (args) => {
  const text = pemOrBase64(str(args, 0));
  // Like OPA: empty input gives null, input without private key blocks gives an empty array.
  if (text === '') return null;
  const blocks = text.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g) ?? [];
  return blocks.map((b) => {
    try {
      return keyToJWK(createPrivateKey(b));
    } catch {
      throw new BuiltinError('failed to parse private key');
    }
  });
});
register('crypto.x509.parse_rsa_private_key', 1, (args) => {
  const text = pemOrBase64(str(args, 0));
  try {
    return keyToJWK(createPrivateKey(text));
  } catch {
    throw new BuiltinError('failed to parse private key');
  }
});
