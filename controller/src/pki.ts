import { createPrivateKey, generateKeyPair, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { signNatively } from '@isd/tunnel-proto';

/** Who a certificate speaks for; encoded as oes-birger compatible JSON in the subject OU. */
export type CertificateIdentity =
  /**
   * `lineage`: the serial of the agent's first certificate, carried into every renewal, so revoking that
   * certificate (the one its manifest holds) or any later one ends the whole line: a renewed certificate is
   * never a way around a revocation.
   */
  | { purpose: 'agent'; agent: string; lineage?: string }
  | { purpose: 'service'; agent: string; type: string; name: string }
  | { purpose: 'control'; name: string }
  | { purpose: 'server'; name: string };

/** PEM bundle handed to agents and callers. */
export interface Credentials {
  certPem: string;
  keyPem: string;
  caPem: string;
}

/** Options for one issued certificate. */
export interface IssueOptions {
  lifetimeMs?: number;
  /** Back-dates or post-dates the certificate; tests use it to mint expired certificates. */
  notBefore?: Date;
  dnsNames?: string[];
}

const DEFAULT_LIFETIME_MS = 24 * 60 * 60 * 1000;
const CLOCK_SKEW_MS = 5 * 60 * 1000;
/** Key sizes a CSR may carry: the agent makes 2048-bit keys; larger ones only cost the controller time. */
const MIN_CSR_KEY_BITS = 2048;
const MAX_CSR_KEY_BITS = 4096;
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/;

/** Thrown for a name that cannot be put into a certificate or token (status 400 on the CNC API). */
export class InvalidNameError extends Error {
  override readonly name = 'InvalidNameError';
  readonly code = 'INVALID_NAME';
  constructor(
    readonly field: string,
    value: string,
  ) {
    super(`${field} must match ${NAME_PATTERN.source}, got ${JSON.stringify(value)}`);
  }
}

/** Validates agent, service type and service names before they reach a certificate or route. */
export function checkName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) throw new InvalidNameError(field, String(value));
  return value;
}

/** Normalizes a certificate serial (hex) so Node's and forge's spellings compare equal. */
export function normalizeSerial(serialHex: string): string {
  return serialHex
    .replace(/:/g, '')
    .toUpperCase()
    .replace(/^0+(?=.)/, '');
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * A new RSA key pair. Node generates it on the libuv thread pool: forge's JavaScript RSA takes seconds per
 * key, and even Node's `generateKeyPairSync` held the event loop ~150 ms, stalling every tunnelled request.
 */
async function newRsaKey(modulusLength = 2048): Promise<forge.pki.rsa.KeyPair & { privateKeyPem: string }> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return {
    privateKey: forgeKey,
    publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e),
    privateKeyPem: privateKey,
  };
}

/**
 * 126 random bits as 16 bytes whose first is 0x40–0x7f: the DER integer is positive and already minimal. A
 * first byte of 0x00 left forge to strip leading zeros, and it strips one: 00 00 2d… became 00 2d…, which
 * OpenSSL refuses ("illegal padding"), so about 1 certificate in 65,536 could not be loaded.
 */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = 0x40 | ((bytes[0] ?? 0) & 0x3f);
  return bytes.toString('hex');
}

function subjectFor(identity: CertificateIdentity): forge.pki.CertificateField[] {
  const commonName = identity.purpose === 'agent' ? identity.agent : identity.name;
  // UTF8String: forge defaults to PrintableString, which cannot hold JSON, and Go's x509 (kubectl)
  // rejects such certificates outright.
  const utf8 = forge.asn1.Type.UTF8 as number;
  return [
    { shortName: 'CN', value: commonName, valueTagClass: utf8 },
    { shortName: 'OU', value: JSON.stringify(identity), valueTagClass: utf8 },
    { shortName: 'O', value: 'ISD tunnel', valueTagClass: utf8 },
  ] as forge.pki.CertificateField[];
}

/** Reads the identity out of a certificate subject's OU (as Node's tls.PeerCertificate exposes it). */
export function identityFromSubject(subject: { OU?: string | string[] } | undefined): CertificateIdentity | undefined {
  const ou = subject?.OU;
  const text = Array.isArray(ou) ? ou[0] : ou;
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    switch (parsed.purpose) {
      case 'agent':
        if (typeof parsed.agent !== 'string') return undefined;
        return typeof parsed.lineage === 'string'
          ? { purpose: 'agent', agent: parsed.agent, lineage: parsed.lineage }
          : { purpose: 'agent', agent: parsed.agent };
      case 'service':
        return typeof parsed.agent === 'string' && typeof parsed.type === 'string' && typeof parsed.name === 'string'
          ? { purpose: 'service', agent: parsed.agent, type: parsed.type, name: parsed.name }
          : undefined;
      case 'control':
        return typeof parsed.name === 'string' ? { purpose: 'control', name: parsed.name } : undefined;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** The identity in a certificate's subject (PEM), or undefined when it carries none. */
export function identityOfCertificate(certPem: string): CertificateIdentity | undefined {
  const ou = forge.pki.certificateFromPem(certPem).subject.getField('OU') as { value?: unknown } | null;
  return typeof ou?.value === 'string' ? identityFromSubject({ OU: ou.value }) : undefined;
}

/** The controller's certificate authority: issues, renews and revokes every tunnel certificate. */
export class CertificateAuthority {
  readonly certPem: string;
  private readonly cert: forge.pki.Certificate;
  private readonly key: forge.pki.rsa.PrivateKey;
  /** The same key for Node's crypto, which signs (see signNatively: forge's RSA held the event loop). */
  private readonly signingKey: KeyObject;
  private readonly revoked = new Set<string>();

  private constructor(certPem: string, keyPem: string) {
    this.certPem = certPem;
    this.cert = forge.pki.certificateFromPem(certPem);
    this.key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
    this.signingKey = createPrivateKey(keyPem);
  }

  /** Loads a provided CA (e.g. mounted from a Kubernetes Secret). */
  static fromPem(certPem: string, keyPem: string): CertificateAuthority {
    return new CertificateAuthority(certPem, keyPem);
  }

  /** Creates a fresh self-signed CA. */
  static async generate(
    commonName = 'ISD tunnel CA',
    lifetimeMs = 10 * 365 * 24 * 60 * 60 * 1000,
  ): Promise<CertificateAuthority> {
    const keys = await newRsaKey(2048);
    const cert = forge.pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = randomSerial();
    cert.validity.notBefore = new Date(Date.now() - CLOCK_SKEW_MS);
    cert.validity.notAfter = new Date(Date.now() + lifetimeMs);
    const attrs = [
      { shortName: 'CN', value: commonName },
      { shortName: 'O', value: 'ISD tunnel' },
    ];
    cert.setSubject(attrs);
    cert.setIssuer(attrs);
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    signNatively(cert, keys.privateKeyPem);
    return new CertificateAuthority(forge.pki.certificateToPem(cert), forge.pki.privateKeyToPem(keys.privateKey));
  }

  /** CA certificate and key as PEM, to share one CA between replicas (a Kubernetes Secret). */
  exportPem(): { certPem: string; keyPem: string } {
    return { certPem: this.certPem, keyPem: forge.pki.privateKeyToPem(this.key) };
  }

  /** Issues a certificate with a new key pair (generated off the event loop). */
  async issue(identity: CertificateIdentity, options: IssueOptions = {}): Promise<Credentials> {
    const keys = await newRsaKey(2048);
    const certPem = this.sign(keys.publicKey, identity, options);
    return { certPem, keyPem: forge.pki.privateKeyToPem(keys.privateKey), caPem: this.certPem };
  }

  /**
   * Signs a CSR for renewal. The subject in the CSR is ignored: the identity comes from the
   * authenticated connection, so a CSR can never widen what the caller may do.
   */
  signCsr(csrPem: string, identity: CertificateIdentity, options: IssueOptions = {}): string {
    const csr = forge.pki.certificationRequestFromPem(csrPem);
    const publicKey = csr.publicKey as forge.pki.rsa.PublicKey | null;
    if (!publicKey) throw new Error('CSR carries no public key');
    // Checked before the signature: forge verifies in JavaScript on the event loop, and a key with an
    // 8192-bit modulus and exponent took seconds per CSR, so an agent renewing in a loop stalled every tunnel.
    const bits = publicKey.n.bitLength();
    if (bits < MIN_CSR_KEY_BITS || bits > MAX_CSR_KEY_BITS || publicKey.e.toString(16) !== '10001')
      throw new Error(
        `CSR key must be RSA of ${MIN_CSR_KEY_BITS}–${MAX_CSR_KEY_BITS} bits with exponent 65537 (it has ${bits} bits)`,
      );
    if (!csr.verify()) throw new Error('CSR signature does not verify');
    return this.sign(publicKey, identity, options);
  }

  private sign(publicKey: forge.pki.rsa.PublicKey, identity: CertificateIdentity, options: IssueOptions): string {
    const cert = forge.pki.createCertificate();
    const notBefore = options.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
    cert.publicKey = publicKey;
    cert.serialNumber = randomSerial();
    // An agent's first certificate starts its line; a renewal passes the line on (see CertificateIdentity).
    if (identity.purpose === 'agent' && identity.lineage === undefined)
      identity = { ...identity, lineage: normalizeSerial(cert.serialNumber) };
    cert.validity.notBefore = notBefore;
    cert.validity.notAfter = new Date(
      notBefore.getTime() + CLOCK_SKEW_MS + (options.lifetimeMs ?? DEFAULT_LIFETIME_MS),
    );
    cert.setSubject(subjectFor(identity));
    cert.setIssuer(this.cert.subject.attributes);
    const isServer = identity.purpose === 'server';
    const altNames = (options.dnsNames ?? []).map((name) =>
      isIP(name) ? { type: 7, ip: name } : { type: 2, value: name },
    );
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: isServer, clientAuth: !isServer },
      ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
    ]);
    signNatively(cert, this.signingKey);
    return forge.pki.certificateToPem(cert);
  }

  /** Adds a certificate (PEM) or a serial number (hex) to the revocation list. */
  revoke(certPemOrSerial: string): string {
    const serial = certPemOrSerial.includes('BEGIN CERTIFICATE')
      ? normalizeSerial(new X509Certificate(certPemOrSerial).serialNumber)
      : normalizeSerial(certPemOrSerial);
    this.revoked.add(serial);
    return serial;
  }

  /** True when the serial (hex, any spelling) was revoked. */
  isRevoked(serialHex: string): boolean {
    return this.revoked.has(normalizeSerial(serialHex));
  }

  /** True when the certificate's serial, or for an agent the first certificate of its line, was revoked. */
  isRevokedCertificate(serialHex: string, identity: CertificateIdentity): boolean {
    if (this.isRevoked(serialHex)) return true;
    return identity.purpose === 'agent' && identity.lineage !== undefined && this.isRevoked(identity.lineage);
  }

  /** Revoked serials, for the CNC API and replicas sharing a list. */
  revokedSerials(): string[] {
    return [...this.revoked];
  }
}
