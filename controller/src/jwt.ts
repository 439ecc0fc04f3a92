import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** HS256 signing keys by key id; `currentKeyId` signs, every listed key verifies (rotation). */
export interface TokenKeys {
  currentKeyId: string;
  keys: Record<string, string>;
}

/** Why a token was refused; the message is safe to return to the caller. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  readonly code = 'INVALID_TOKEN';
}

/** Claims of tokens we issue; `t`/`n`/`a` keep oes-birger v5's service-token names. */
export interface TokenClaims {
  aud: string;
  exp: number;
  iat: number;
  t?: string;
  n?: string;
  a?: string;
  [claim: string]: unknown;
}

function base64Url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

/** Generates a random key set, for controllers started without configured keys. */
export function generateTokenKeys(): TokenKeys {
  const keyId = randomBytes(4).toString('hex');
  return { currentKeyId: keyId, keys: { [keyId]: randomBytes(32).toString('base64') } };
}

/** Signs an HS256 JWT with the current key; `lifetimeMs` sets `exp`. */
export function signToken(
  keys: TokenKeys,
  claims: Record<string, unknown> & { aud: string },
  lifetimeMs: number,
  nowMs = Date.now(),
): string {
  const secret = keys.keys[keys.currentKeyId];
  if (!secret) throw new TokenError(`token key ${keys.currentKeyId} is not configured`);
  const header = base64Url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: keys.currentKeyId }));
  const iat = Math.floor(nowMs / 1000);
  const payload = base64Url(JSON.stringify({ ...claims, iat, exp: Math.floor((nowMs + lifetimeMs) / 1000) }));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Verifies signature (by `kid`), `exp` and `aud`; returns the claims or throws TokenError. */
export function verifyToken(keys: TokenKeys, token: string, audience: string, nowMs = Date.now()): TokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('token is not a JWT');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: { alg?: unknown; kid?: unknown };
  let claims: TokenClaims;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as typeof header;
    claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    throw new TokenError('token is not valid JSON');
  }
  if (header.alg !== 'HS256') throw new TokenError('token alg must be HS256');
  const secret = typeof header.kid === 'string' ? keys.keys[header.kid] : undefined;
  if (!secret) throw new TokenError('token kid is unknown');
  const expected = createHmac('sha256', secret).update(`${headerPart}.${payloadPart}`).digest();
  const actual = Buffer.from(signaturePart, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    throw new TokenError('token signature is invalid');
  if (typeof claims.exp !== 'number') throw new TokenError('token has no exp');
  if (claims.exp * 1000 <= nowMs) throw new TokenError('token expired');
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(audience)) throw new TokenError(`token audience must be ${audience}`);
  return claims;
}
