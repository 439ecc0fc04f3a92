// The controller's HS256 tokens (service and control), signed and verified with `jose`; keys rotate by `kid`.
import { randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';

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
export interface TokenClaims extends JWTPayload {
  aud: string | string[];
  exp: number;
  iat?: number;
  t?: string;
  n?: string;
  a?: string;
}

/** The HMAC key: the configured text's UTF-8 bytes, as tokens issued before `jose` were signed. */
const secretKey = (secret: string): Uint8Array => new TextEncoder().encode(secret);

/** Generates a random key set, for controllers started without configured keys. */
export function generateTokenKeys(): TokenKeys {
  const keyId = randomBytes(4).toString('hex');
  return { currentKeyId: keyId, keys: { [keyId]: randomBytes(32).toString('base64') } };
}

/** Signs an HS256 JWT with the current key; `lifetimeMs` sets `exp`. */
export async function signToken(
  keys: TokenKeys,
  claims: Record<string, unknown> & { aud: string },
  lifetimeMs: number,
  nowMs = Date.now(),
): Promise<string> {
  const secret = keys.keys[keys.currentKeyId];
  if (!secret) throw new TokenError(`token key ${keys.currentKeyId} is not configured`);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: keys.currentKeyId })
    .setIssuedAt(Math.floor(nowMs / 1000))
    .setExpirationTime(Math.floor((nowMs + lifetimeMs) / 1000))
    .sign(secretKey(secret));
}

/**
 * The secret a token's `kid` names: only the keys' own entries. A plain-object lookup would find
 * Object.prototype's members for `toString` or `constructor`, whose text anyone can sign with.
 */
function secretOf(keys: TokenKeys, kid: unknown): string | undefined {
  if (typeof kid !== 'string') return undefined;
  return Object.entries(keys.keys).find(([id]) => id === kid)?.[1];
}

/** Verifies signature (by `kid`), `exp` and `aud`; returns the claims or throws TokenError. */
export async function verifyToken(
  keys: TokenKeys,
  token: string,
  audience: string,
  nowMs = Date.now(),
): Promise<TokenClaims> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const secret = secretOf(keys, header.kid);
        if (!secret) throw new TokenError('token kid is unknown');
        return secretKey(secret);
      },
      { algorithms: ['HS256'], audience, requiredClaims: ['exp'], currentDate: new Date(nowMs), clockTolerance: 0 },
    );
    return payload as TokenClaims;
  } catch (error) {
    throw error instanceof TokenError ? error : new TokenError(refusal(error, audience));
  }
}

/** jose's reason in the words the controller has always answered with. */
function refusal(error: unknown, audience: string): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed)
    return error.claim === 'aud' ? `token audience must be ${audience}` : `token claim ${error.claim} is invalid`;
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token alg must be HS256';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return 'token is not a valid JWT';
  return 'token refused';
}
