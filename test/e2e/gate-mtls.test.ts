// Gate's identity proven by certificate: with server.gateTls the Gate-only listener (where
// X-SPINNAKER-USER is trusted) speaks mutual TLS and accepts only a client certificate issued by the
// configured CA — and, with clientNames, issued to Gate. Without one, or with one from another CA, the
// TLS handshake fails and no request reaches a route. Real visibility on Postgres.
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { RunningService } from '@isd/kit';
import { renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import { visibilityService, type VisibilityConfig } from '@isd/visibility';
import { startGateProxy } from '../harness/gate';
import {
  createTestCa,
  createTestDatabase,
  eventually,
  startTestService,
  testServiceConfig,
  type TestCertificate,
} from '@isd/test-support';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-gate-mtls-'));
const serverCa = createTestCa('isd-sidecar-ca');
const gateCa = createTestCa('isd-gate-client-ca');
const otherCa = createTestCa('someone-elses-ca');
const gateClient = gateCa.issue({ commonName: 'spin-gate', client: true });
const write = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
const serving = serverCa.issue({ commonName: 'isd-visibility', serverNames: ['127.0.0.1'] });
const gateTls = {
  certFile: write('tls.crt', serving.certificatePem),
  keyFile: write('tls.key', serving.privateKeyPem),
  clientCaFile: write('gate-ca.crt', gateCa.certificatePem),
  clientNames: ['spin-gate'],
  reloadIntervalMs: 200,
};

let visibility: RunningService<VisibilityConfig>;

beforeAll(async () => {
  const config = testServiceConfig(visibilityService, {
    databaseUrl: await createTestDatabase('gate_mtls'),
    users: { bob: ['release-managers'] },
  });
  visibility = await startTestService(visibilityService, {
    ...config,
    server: { ...config.server, gatePort: 0, gateTls: { ...gateTls } },
  });
});

afterAll(async () => {
  await visibility?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** GET on the Gate-only listener as `bob`, with an optional client certificate; rejects when TLS fails. */
function getAsGate(
  client: TestCertificate | undefined,
  trust = serverCa.certificatePem,
): Promise<{ status: number; body: string; serverCertificate: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${visibility.gateUrl}/api/v1/approvals?mine=true`,
      {
        ca: trust,
        ...(client ? { cert: client.certificatePem, key: client.privateKeyPem } : {}),
        headers: { 'x-spinnaker-user': 'bob' },
        agent: false,
        timeout: 10_000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body,
            serverCertificate: (response.socket as TLSSocket).getPeerCertificate().fingerprint256,
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end();
  });
}

it("serves HTTPS on the Gate-only listener and trusts X-SPINNAKER-USER from Gate's certificate", async () => {
  expect(visibility.gateUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const response = await getAsGate(gateClient);
  expect(response.status).toBe(200);
  expect(JSON.parse(response.body)).toHaveProperty('approvals', []);
});

it('fails the handshake without a client certificate', async () => {
  await expect(getAsGate(undefined)).rejects.toThrow(/certificate required|socket hang up|ECONNRESET|alert/i);
});

it('fails the handshake with a client certificate from another CA, even one named like Gate', async () => {
  const impostor = otherCa.issue({ commonName: 'spin-gate', client: true });
  await expect(getAsGate(impostor)).rejects.toThrow(/unknown ca|socket hang up|ECONNRESET|alert/i);
});

it("refuses a certificate from Gate's CA that was issued to someone else (clientNames)", async () => {
  const colleague = gateCa.issue({ commonName: 'spin-echo', client: true });
  await expect(getAsGate(colleague)).rejects.toThrow(/socket hang up|ECONNRESET|closed/i);
});

it('keeps the main API port plain HTTP for Orca (the service token proves Orca there)', async () => {
  const response = await fetch(`${visibility.url}/healthz`);
  expect(response.status).toBe(200);
});

it('picks up a renewed serving certificate without a restart', async () => {
  const before = (await getAsGate(gateClient)).serverCertificate;
  const renewed = serverCa.issue({ commonName: 'isd-visibility', serverNames: ['127.0.0.1'] });
  // Key first, then certificate: a reload between the two writes keeps the old pair (mismatch is refused).
  fs.writeFileSync(gateTls.keyFile, renewed.privateKeyPem);
  fs.writeFileSync(gateTls.certFile, renewed.certificatePem);
  const after = await eventually(
    async () => {
      const seen = (await getAsGate(gateClient)).serverCertificate;
      return seen !== before ? seen : undefined;
    },
    20_000,
    'the renewed certificate served',
  );
  expect(after).not.toBe(before);
});

describe("through Gate's proxy (the Gate harness with kork's ok-http-client key and trust stores)", () => {
  const gateLocal = renderSpinnakerConfig(
    resolveValues({ overrides: { gateProxy: { targets: { visibility: 'https://isd-visibility.isd.svc:8081' } } } }),
  ).files['gate-local.yml'];

  it("reaches the Gate-only listener with Gate's certificate, and the user Gate names is the caller", async () => {
    const gate = await startGateProxy({
      gateLocal,
      targets: { visibility: visibility.gateUrl as string },
      okHttpClient: {
        certificatePem: gateClient.certificatePem,
        privateKeyPem: gateClient.privateKeyPem,
        trustedCaPem: serverCa.certificatePem,
      },
    });
    try {
      const response = await fetch(`${gate.baseUrl}/proxies/visibility/api/v1/approvals?mine=true`, {
        headers: { cookie: gate.login('bob') },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toHaveProperty('approvals', []);
      expect(gate.forwarded.at(-1)?.headers['X-SPINNAKER-USER']).toBe('bob');
    } finally {
      await gate.close();
    }
  });

  it('gets nothing through without a client certificate: Gate answers 502', async () => {
    const gate = await startGateProxy({ gateLocal, targets: { visibility: visibility.gateUrl as string } });
    try {
      const response = await fetch(`${gate.baseUrl}/proxies/visibility/api/v1/approvals?mine=true`, {
        headers: { cookie: gate.login('bob') },
      });
      expect(response.status).toBe(502);
      expect(gate.forwarded.at(-1)?.statusCode).toBe(0);
    } finally {
      await gate.close();
    }
  });
});

describe('configuration errors', () => {
  it('refuses gateTls without gatePort, and an unreadable file, naming the key', async () => {
    const config = testServiceConfig(visibilityService, { databaseUrl: await createTestDatabase('gate_mtls_bad') });
    await expect(
      startTestService(visibilityService, { ...config, server: { ...config.server, gateTls: { ...gateTls } } }),
    ).rejects.toThrow(/server\.gateTls needs server\.gatePort/);
    await expect(
      startTestService(visibilityService, {
        ...config,
        server: { ...config.server, gatePort: 0, gateTls: { ...gateTls, clientCaFile: path.join(dir, 'missing') } },
      }),
    ).rejects.toThrow(/server\.gateTls\.clientCaFile: cannot read/);
  });
});
