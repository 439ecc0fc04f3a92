import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A PEM certificate with its private key. */
export interface KeyAndCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

/** The harness's own certificate authority and the serving certificate it signed. */
export interface ServingCertificates {
  ca: KeyAndCertificate;
  serving: KeyAndCertificate;
}

const ONE_DAY_MS = 24 * 60 * 60 * 1000;

// node:crypto makes the RSA key natively (forge's pure-JS keygen takes seconds); forge signs the certificates.
function newKeyPair(): {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  privateKeyPem: string;
} {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgePrivate = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const forgePublic = forge.pki.setRsaPublicKey(forgePrivate.n, forgePrivate.e);
  return { privateKey: forgePrivate, publicKey: forgePublic, privateKeyPem };
}

function newCertificate(publicKey: forge.pki.rsa.PublicKey, commonName: string): forge.pki.Certificate {
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = publicKey;
  // A leading 0x01 keeps the serial positive, as RFC 5280 requires.
  certificate.serialNumber = '01' + randomBytes(15).toString('hex');
  certificate.validity.notBefore = new Date(Date.now() - 60_000);
  certificate.validity.notAfter = new Date(Date.now() + ONE_DAY_MS);
  certificate.setSubject([{ name: 'commonName', value: commonName }]);
  return certificate;
}

/** Makes a throwaway CA and a serving certificate for 127.0.0.1, ::1, localhost and any extra host names. */
export function createServingCertificates(extraHostNames: readonly string[] = []): ServingCertificates {
  const caKeys = newKeyPair();
  const caCertificate = newCertificate(caKeys.publicKey, 'isd-test-kube-apiserver-ca');
  caCertificate.setIssuer(caCertificate.subject.attributes);
  caCertificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCertificate.sign(caKeys.privateKey, forge.md.sha256.create());

  const servingKeys = newKeyPair();
  const servingCertificate = newCertificate(servingKeys.publicKey, 'kube-apiserver');
  servingCertificate.setIssuer(caCertificate.subject.attributes);
  const altNames = [
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
    { type: 2, value: 'localhost' },
    { type: 2, value: 'kubernetes.default.svc' },
    ...extraHostNames.map((value) => ({ type: 2, value })),
  ];
  servingCertificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  servingCertificate.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    ca: { certificatePem: forge.pki.certificateToPem(caCertificate), privateKeyPem: caKeys.privateKeyPem },
    serving: {
      certificatePem: forge.pki.certificateToPem(servingCertificate),
      privateKeyPem: servingKeys.privateKeyPem,
    },
  };
}
