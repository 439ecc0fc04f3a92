// Hashes, HMAC and key parsing via node:crypto (JWT builtins are in jwt.ts).
import { createHash, createHmac, createPrivateKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { type Value } from '../value';
import { parseJSON } from './encoding';
import { BuiltinError, register, str, stringBytes } from './registry';
import { goBase64Decode } from './x509';

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

register('crypto.parse_private_keys', 1, (args, ctx) => {
  ctx.alloc(stringBytes(str(args, 0).length) * 2);
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
register('crypto.x509.parse_rsa_private_key', 1, (args, ctx) => {
  const input = str(args, 0);
  ctx.alloc(stringBytes(input.length) * 2);
  if (input === '') throw new BuiltinError('input PEM data was empty');
  // Like OPA: PEM, or else it must be base64 (of PEM).
  const text = input.startsWith('-----BEGIN') ? input : goBase64Decode(input).toString('utf8');
  const block = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/.exec(text);
  if (!block) return null;
  try {
    return keyToJWK(createPrivateKey(block[0]));
  } catch {
    throw new BuiltinError('failed to parse private key');
  }
});
