import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { CertificateAuthority, checkName, identityFromSubject, normalizeSerial, randomSerial } from './pki';

describe('CertificateAuthority', () => {
  let ca: CertificateAuthority;
  beforeAll(async () => {
    ca = await CertificateAuthority.generate('test CA');
  });

  it('issues an agent certificate whose subject OU carries the birger identity JSON', async () => {
    const issued = await ca.issue({ purpose: 'agent', agent: 'cluster-a' }, { lifetimeMs: 60_000 });
    const certificate = new X509Certificate(issued.certPem);
    expect(certificate.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(certificate.subject).toContain('CN=cluster-a');
    expect(issued.caPem).toBe(ca.certPem);
    const ou = /OU=(.*)/.exec(certificate.subject)?.[1] ?? '';
    // Extra keys are ignored by oes-birger's JSON decoding; `lineage` is the first certificate of the line (itself).
    expect(JSON.parse(ou.replace(/\\"/g, '"').replace(/\\,/g, ','))).toEqual({
      purpose: 'agent',
      agent: 'cluster-a',
      lineage: normalizeSerial(certificate.serialNumber),
    });
  });

  it('gives server certificates the requested DNS names and IPs', async () => {
    const issued = await ca.issue(
      { purpose: 'server', name: 'controller' },
      { dnsNames: ['controller.isd.svc', '127.0.0.1'] },
    );
    const certificate = new X509Certificate(issued.certPem);
    expect(certificate.subjectAltName).toContain('DNS:controller.isd.svc');
    expect(certificate.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(certificate.checkHost('controller.isd.svc')).toBe('controller.isd.svc');
  });

  it('generates the key pair off the event loop: an immediate scheduled meanwhile runs before issuing ends', async () => {
    const order: string[] = [];
    const issuing = ca.issue({ purpose: 'control', name: 'ops' }).then(() => order.push('issued'));
    setImmediate(() => order.push('immediate'));
    await issuing;
    expect(order).toEqual(['immediate', 'issued']);
  });

  it('reads identities back from a subject and rejects malformed ones', () => {
    expect(identityFromSubject({ OU: '{"purpose":"service","agent":"a","type":"kubernetes","name":"k"}' })).toEqual({
      purpose: 'service',
      agent: 'a',
      type: 'kubernetes',
      name: 'k',
    });
    expect(identityFromSubject({ OU: '{"purpose":"agent"}' })).toBeUndefined();
    expect(identityFromSubject({ OU: 'not json' })).toBeUndefined();
    expect(identityFromSubject(undefined)).toBeUndefined();
  });

  it('signs a CSR with the connection identity, ignoring the CSR subject', () => {
    // forge builds the CSR; the subject claims to be another agent.
    const keys = forgeKeys(2048);
    const csr = forge.pki.createCertificationRequest();
    csr.publicKey = keys.publicKey;
    csr.setSubject([{ shortName: 'CN', value: 'someone-else' }]);
    csr.sign(keys.privateKey, forge.md.sha256.create());
    const certPem = ca.signCsr(forge.pki.certificationRequestToPem(csr), { purpose: 'agent', agent: 'cluster-a' });
    expect(new X509Certificate(certPem).subject).toContain('CN=cluster-a');
    expect(() => ca.signCsr('garbage', { purpose: 'agent', agent: 'x' })).toThrow();
  });

  it('draws serials that are positive, minimal DER integers of 16 bytes (a leading zero byte made OpenSSL refuse 1 in 65,536)', async () => {
    const serials = Array.from({ length: 20_000 }, randomSerial);
    expect(serials.filter((serial) => !/^[4-7][0-9a-f]{31}$/.test(serial))).toEqual([]);
    expect(new Set(serials).size).toBe(serials.length);
    // What forge writes for one, as OpenSSL reads it back.
    const { certPem } = await ca.issue({ purpose: 'agent', agent: 'a' });
    expect(new X509Certificate(certPem).serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
  });

  it('refuses a CSR whose key is outside 2048–4096 bits or whose exponent is not 65537, before verifying it', () => {
    // An 8192-bit modulus and exponent: forge's verification alone took seconds of the event loop.
    const huge = forge.pki.setRsaPublicKey(
      new forge.jsbn.BigInteger('f'.repeat(2048), 16),
      new forge.jsbn.BigInteger('f'.repeat(2048), 16),
    );
    const small = forgeKeys(1024);
    for (const [publicKey, signer] of [
      [huge, forgeKeys(2048).privateKey],
      [small.publicKey, small.privateKey],
      [
        forge.pki.setRsaPublicKey(forgeKeys(2048).publicKey.n, new forge.jsbn.BigInteger('3', 16)),
        forgeKeys(2048).privateKey,
      ],
    ] as const) {
      const csr = forge.pki.createCertificationRequest();
      csr.publicKey = publicKey;
      csr.sign(signer, forge.md.sha256.create());
      expect(() => ca.signCsr(forge.pki.certificationRequestToPem(csr), { purpose: 'agent', agent: 'x' })).toThrow(
        /CSR key must be RSA of 2048–4096 bits with exponent 65537/,
      );
    }
  });

  it('revokes by certificate or serial in any spelling', async () => {
    const issued = await ca.issue({ purpose: 'agent', agent: 'cluster-r' });
    const serial = new X509Certificate(issued.certPem).serialNumber;
    expect(ca.isRevoked(serial)).toBe(false);
    ca.revoke(issued.certPem);
    expect(ca.isRevoked(serial.toLowerCase())).toBe(true);
    expect(normalizeSerial('00:0A:bc')).toBe('ABC');
  });

  it('round-trips through PEM so replicas can share one CA', async () => {
    const copy = CertificateAuthority.fromPem(ca.exportPem().certPem, ca.exportPem().keyPem);
    const issued = await copy.issue({ purpose: 'control', name: 'ops' });
    expect(new X509Certificate(issued.certPem).checkIssued(new X509Certificate(ca.certPem))).toBe(true);
  });

  it('refuses names that cannot be routed', () => {
    expect(checkName('agentName', 'cluster-a.prod_1')).toBe('cluster-a.prod_1');
    expect(() => checkName('agentName', '')).toThrow(/agentName must match/);
    expect(() => checkName('name', 'a/b')).toThrow(/name must match/);
    expect(() => checkName('type', 42)).toThrow(/type must match/);
  });
});

/** A forge key pair made natively (forge's own generation takes seconds). */
function forgeKeys(bits: number): forge.pki.rsa.KeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  const forgePrivate = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  return {
    privateKey: forgePrivate,
    publicKey: forge.pki.setRsaPublicKey(forgePrivate.n, forgePrivate.e),
  };
}
