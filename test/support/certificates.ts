// Throwaway certificate authorities for tests: a CA that issues server and client certificates.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/** A PEM certificate with its private key. */
export interface TestCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

/** What a certificate is for. */
export interface IssueOptions {
  commonName: string;
  /** Subject O entries (Kubernetes reads them as groups). */
  organizations?: string[];
  /** DNS names and IP addresses for a server certificate (subjectAltName). */
  serverNames?: string[];
  /** Usable as a TLS client certificate. */
  client?: boolean;
}

/** A test CA: its own certificate and key, and issue() for leaf certificates. */
export interface TestCa extends TestCertificate {
  issue(options: IssueOptions): TestCertificate;
}

const ONE_DAY_MS = 24 * 60 * 60 * 1000;

// node:crypto makes the RSA key natively (forge's pure-JS keygen takes seconds); forge signs certificates.
function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgePrivate = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgePrivate, publicKey: forge.pki.setRsaPublicKey(forgePrivate.n, forgePrivate.e), pem };
}

function newCertificate(publicKey: forge.pki.rsa.PublicKey, subject: forge.pki.CertificateField[]) {
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = publicKey;
  // A leading 0x01 keeps the serial positive, as RFC 5280 requires.
  certificate.serialNumber = '01' + randomBytes(15).toString('hex');
  certificate.validity.notBefore = new Date(Date.now() - 60_000);
  certificate.validity.notAfter = new Date(Date.now() + ONE_DAY_MS);
  certificate.setSubject(subject);
  return certificate;
}

/** Makes a new CA (valid for a day) that issues server and client certificates. */
export function createTestCa(commonName = 'isd-test-ca'): TestCa {
  const caKeys = newKeyPair();
  const caSubject = [{ name: 'commonName', value: commonName }];
  const caCertificate = newCertificate(caKeys.publicKey, caSubject);
  caCertificate.setIssuer(caSubject);
  caCertificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCertificate.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    certificatePem: forge.pki.certificateToPem(caCertificate),
    privateKeyPem: caKeys.pem,
    issue(options) {
      const keys = newKeyPair();
      const subject = [
        { name: 'commonName', value: options.commonName },
        ...(options.organizations ?? []).map((value) => ({ name: 'organizationName', value })),
      ];
      const certificate = newCertificate(keys.publicKey, subject);
      certificate.setIssuer(caSubject);
      const serverNames = options.serverNames ?? [];
      certificate.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: serverNames.length > 0, clientAuth: Boolean(options.client) },
        ...(serverNames.length
          ? [
              {
                name: 'subjectAltName',
                altNames: serverNames.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name })),
              },
            ]
          : []),
      ]);
      certificate.sign(caKeys.privateKey, forge.md.sha256.create());
      return { certificatePem: forge.pki.certificateToPem(certificate), privateKeyPem: keys.pem };
    },
  };
}
