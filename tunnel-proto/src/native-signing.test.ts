import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { signNatively } from './native-signing';

const { privateKey: keyPem } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
const forgePublicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);

function selfSignedCertificate(): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forgePublicKey;
  cert.serialNumber = '0a1b2c';
  cert.validity.notBefore = new Date('2026-01-01T00:00:00Z');
  cert.validity.notAfter = new Date('2027-01-01T00:00:00Z');
  const attributes = [{ shortName: 'CN', value: 'native signing test' }];
  cert.setSubject(attributes);
  cert.setIssuer(attributes);
  cert.setExtensions([{ name: 'basicConstraints', cA: true }]);
  return cert;
}

function certificationRequest(): forge.pki.CertificateSigningRequest {
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forgePublicKey;
  csr.setSubject([{ shortName: 'CN', value: 'renewal' }]);
  return csr;
}

describe('signNatively', () => {
  it('writes the certificate forge would (PKCS #1 v1.5 is deterministic), verifiable by Node and forge', () => {
    const native = selfSignedCertificate();
    signNatively(native, createPrivateKey(keyPem));
    const byForge = selfSignedCertificate();
    byForge.sign(forgeKey, forge.md.sha256.create());

    const nativePem = forge.pki.certificateToPem(native);
    expect(nativePem).toBe(forge.pki.certificateToPem(byForge));
    const parsed = new X509Certificate(nativePem);
    expect(parsed.verify(parsed.publicKey)).toBe(true);
    expect(forge.pki.certificateFromPem(nativePem).verify(forge.pki.certificateFromPem(nativePem))).toBe(true);
  });

  it('signs a certification request forge verifies, also from a PEM key', () => {
    const native = certificationRequest();
    signNatively(native, keyPem);
    const byForge = certificationRequest();
    byForge.sign(forgeKey, forge.md.sha256.create());

    const nativePem = forge.pki.certificationRequestToPem(native);
    expect(nativePem).toBe(forge.pki.certificationRequestToPem(byForge));
    expect(forge.pki.certificationRequestFromPem(nativePem).verify()).toBe(true);
  });

  it('a signature by another key does not verify', () => {
    const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cert = selfSignedCertificate();
    signNatively(cert, otherKey);
    const parsed = new X509Certificate(forge.pki.certificateToPem(cert));
    expect(parsed.verify(parsed.publicKey)).toBe(false);
  });
});
