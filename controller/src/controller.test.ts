import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { parse, parseAllDocuments } from 'yaml';
import { startController, type RunningController } from './controller';

/** Every listener on loopback, on ports the OS picks. */
const LOOPBACK = { host: '127.0.0.1', agentPort: 0, servicePort: 0, controlPort: 0, metricsPort: 0 };

interface Reply {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

/** One HTTPS request to a controller listener: status, headers and the body's text. */
function send(
  url: URL,
  controller: RunningController,
  options: {
    method?: string;
    credentials?: { certPem: string; keyPem: string };
    headers?: Record<string, string>;
    body?: string;
    chunked?: boolean;
  },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: options.method ?? 'GET',
      ca: controller.ca.certPem,
      cert: options.credentials?.certPem,
      key: options.credentials?.keyPem,
      headers: options.headers,
      agent: false,
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    const body = options.body;
    if (options.chunked && body !== undefined) {
      req.write(body.slice(0, body.length / 2));
      req.end(body.slice(body.length / 2));
    } else req.end(body);
  });
}

/** A control API request. */
async function request(
  controller: RunningController,
  method: string,
  path: string,
  options: {
    body?: unknown;
    token?: string;
    credentials?: { certPem: string; keyPem: string };
    rawBody?: string;
    /** Send the body in two chunks without a content-length. */
    chunked?: boolean;
  } = {},
): Promise<Reply> {
  const answer = await send(new URL(path, controller.controlUrl), controller, {
    method,
    credentials: options.credentials,
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    chunked: options.chunked,
  });
  return {
    status: answer.status,
    contentType: String(answer.headers['content-type']).split(';')[0] ?? '',
    body: JSON.parse(answer.text) as Record<string, unknown>,
  };
}

const fromBase64 = (value: unknown): string => Buffer.from(String(value), 'base64').toString('utf8');

describe('control (CNC) API', () => {
  let certShape: RunningController;
  let tokenShape: RunningController;
  let control: { certPem: string; keyPem: string; token: string };
  beforeAll(async () => {
    certShape = await startController({
      ...LOOPBACK,
      credentialShape: 'cert',
    });
    tokenShape = await startController({
      ...LOOPBACK,
      credentialShape: 'token',
    });
    control = await certShape.issueControlCredentials('sapor');
  });
  afterAll(async () => {
    await certShape.stop();
    await tokenShape.stop();
  });

  it('refuses callers without a control certificate or control token', async () => {
    expect((await request(certShape, 'GET', '/api/v1/getAgentStatistics')).status).toBe(401);
    const serviceToken = await certShape.issueServiceToken('a', 'kubernetes', 'k');
    expect((await request(certShape, 'GET', '/api/v1/getAgentStatistics', { token: serviceToken })).status).toBe(401);
    const serviceCert = await certShape.issueServiceCredentials('a', 'kubernetes', 'k');
    expect((await request(certShape, 'GET', '/api/v1/getAgentStatistics', { credentials: serviceCert })).status).toBe(
      401,
    );
  });

  it('refuses a caller without credentials before reading the body, whatever the body is', async () => {
    const refusals = [
      await request(certShape, 'POST', '/api/v1/generateAgentManifestComponents', { body: {} }),
      await request(certShape, 'POST', '/api/v1/revokeCertificate', { token: 'not-a-token', rawBody: '{not json' }),
      await request(certShape, 'POST', '/api/v1/generateKubectlComponents', {
        rawBody: JSON.stringify({ padding: 'x'.repeat(256 * 1024) }),
      }),
    ];
    for (const reply of refusals)
      expect(reply).toMatchObject({ status: 401, body: { type: 'urn:isd:problem:control_credential_invalid' } });
  });

  it('generateKubectlComponents returns the v3 certificate shape and a kubeconfig', async () => {
    const reply = await request(certShape, 'POST', '/api/v1/generateKubectlComponents', {
      credentials: control,
      body: { agentName: 'cluster-a', name: 'kube' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ agentName: 'cluster-a', name: 'kube', serverUrl: certShape.serviceUrl });
    expect(fromBase64(reply.body.userCertificate)).toContain('BEGIN CERTIFICATE');
    expect(fromBase64(reply.body.userKey)).toContain('PRIVATE KEY');
    expect(fromBase64(reply.body.caCert)).toBe(certShape.ca.certPem);
    const kubeconfig = parse(String(reply.body.kubeconfig)) as {
      clusters: Array<{ cluster: { server: string } }>;
      users: Array<{ user: Record<string, string> }>;
    };
    expect(kubeconfig.clusters[0]?.cluster.server).toBe(certShape.serviceUrl);
    expect(kubeconfig.users[0]?.user['client-certificate-data']).toBe(reply.body.userCertificate);
  });

  it('generateKubectlComponents returns the v5 token shape when configured, accepting a control token', async () => {
    const token = (await tokenShape.issueControlCredentials('sapor')).token;
    const reply = await request(tokenShape, 'POST', '/api/v1/generateKubectlComponents', {
      token,
      body: { agentName: 'cluster-a', name: 'kube' },
    });
    expect(reply.status).toBe(200);
    expect(typeof reply.body.token).toBe('string');
    expect(reply.body.userCertificate).toBeUndefined();
    const kubeconfig = parse(String(reply.body.kubeconfig)) as { users: Array<{ user: Record<string, string> }> };
    expect(kubeconfig.users[0]?.user.token).toBe(reply.body.token);
  });

  it('answers 400 problem+json naming the missing or invalid field', async () => {
    const missing = await request(certShape, 'POST', '/api/v1/generateKubectlComponents', {
      credentials: control,
      body: { agentName: 'cluster-a' },
    });
    expect(missing).toEqual({
      status: 400,
      contentType: 'application/problem+json',
      body: expect.objectContaining({ status: 400, field: 'body.name', detail: expect.stringContaining('body.name') }),
    });
    const invalid = await request(certShape, 'POST', '/api/v1/generateServiceCredentials', {
      credentials: control,
      body: { agentName: 'a b', type: 'jenkins', name: 'ci' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.field).toBe('body.agentName');
    const malformed = await request(certShape, 'POST', '/api/v1/generateControlCredentials', {
      credentials: control,
      rawBody: '{not json',
    });
    expect(malformed).toMatchObject({ status: 400, body: { detail: expect.stringContaining('not valid JSON') } });
    expect(
      (await request(certShape, 'GET', '/api/v1/generateControlCredentials', { credentials: control })).status,
    ).toBe(405);
    expect((await request(certShape, 'GET', '/api/v1/nothing', { credentials: control })).status).toBe(404);
  });

  it('answers 413 problem+json to a body over 64 KiB instead of resetting the connection', async () => {
    const reply = await request(certShape, 'POST', '/api/v1/generateKubectlComponents', {
      credentials: control,
      rawBody: JSON.stringify({ agentName: 'cluster-a', name: 'kube', padding: 'x'.repeat(256 * 1024) }),
    });
    expect(reply).toMatchObject({
      status: 413,
      contentType: 'application/problem+json',
      body: { status: 413, detail: expect.stringContaining('65536 bytes') },
    });
    // Without a content-length (chunked), the limit holds while reading.
    const chunked = await request(certShape, 'POST', '/api/v1/generateKubectlComponents', {
      credentials: control,
      rawBody: JSON.stringify({ agentName: 'cluster-a', name: 'kube', padding: 'x'.repeat(256 * 1024) }),
      chunked: true,
    });
    expect(chunked).toMatchObject({ status: 413, body: { status: 413 } });
  });

  it('generateServiceCredentials returns basic credentials whose password is a service token (legacy Type/Name accepted)', async () => {
    const reply = await request(certShape, 'POST', '/api/v1/generateServiceCredentials', {
      credentials: control,
      body: { agentName: 'cluster-a', Type: 'jenkins', Name: 'ci' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      agentName: 'cluster-a',
      name: 'ci',
      type: 'jenkins',
      credentialType: 'basic',
      url: certShape.serviceUrl,
    });
    expect((reply.body.credential as { username: string }).username).toBe('ci.cluster-a');
    expect(fromBase64(reply.body.caCert)).toBe(certShape.ca.certPem);
  });

  it('generateControlCredentials returns a working control certificate', async () => {
    const reply = await request(certShape, 'POST', '/api/v1/generateControlCredentials', {
      credentials: control,
      body: { name: 'script' },
    });
    expect(reply.status).toBe(200);
    const issued = { certPem: fromBase64(reply.body.userCertificate), keyPem: fromBase64(reply.body.userKey) };
    expect((await request(certShape, 'GET', '/api/v1/getAgentStatistics', { credentials: issued })).status).toBe(200);
  });

  it('generateAgentManifestComponents returns agent credentials and a ready-to-apply manifest', async () => {
    const reply = await request(certShape, 'POST', '/api/v1/generateAgentManifestComponents', {
      credentials: control,
      body: { agentName: 'cluster-m' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      agentName: 'cluster-m',
      serverPort: Number(certShape.agentUrl.split(':').pop()),
    });
    const kinds = parseAllDocuments(String(reply.body.manifest)).map(
      (document) => (document.toJSON() as { kind: string }).kind,
    );
    expect(kinds).toEqual([
      'Namespace',
      'Secret',
      'ConfigMap',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
    ]);
    // The agent's role is the chart's default, never the wildcard (decision 204).
    const role = parseAllDocuments(String(reply.body.manifest))
      .map((document) => document.toJSON() as { kind: string; rules?: unknown })
      .find((document) => document.kind === 'ClusterRole');
    const chartValues = parse(
      readFileSync(path.join(__dirname, '..', '..', 'charts', 'isd-agent', 'values.yaml'), 'utf8'),
    ) as { rbac: { rules: unknown } };
    expect(role?.rules).toEqual(chartValues.rbac.rules);
    expect(JSON.stringify(role?.rules)).not.toContain('*');
  });

  it('getAgentStatistics lists connected agents (none here) with server time and version', async () => {
    const reply = await request(certShape, 'GET', '/api/v1/getAgentStatistics', { token: control.token });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ version: '0.1.0', connectedAgents: [] });
    expect(typeof reply.body.serverTime).toBe('number');
  });
});

describe('service endpoint TLS', () => {
  it('negotiates TLS 1.3 with AES-128-GCM even when the client prefers AES-256 (Node’s default order)', async () => {
    const controller = await startController(LOOPBACK);
    try {
      const caller = await controller.issueServiceCredentials('a', 'generic', 'b');
      const url = new URL(controller.serviceUrl);
      const negotiated = await new Promise<{ protocol: string | null; cipher: string }>((resolve, reject) => {
        const socket = tls.connect(
          {
            host: url.hostname,
            port: Number(url.port),
            ca: controller.ca.certPem,
            cert: caller.certPem,
            key: caller.keyPem,
            servername: 'localhost',
          },
          () => {
            resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name });
            socket.destroy();
          },
        );
        socket.on('error', reject);
      });
      expect(negotiated).toEqual({ protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' });
    } finally {
      await controller.stop();
    }
  });
});

describe('service endpoint refusals', () => {
  /** GET on the service endpoint as `credentials`, optionally as an upgrade; the answer's id header and body. */
  async function serviceRequest(
    controller: RunningController,
    target: string,
    credentials: { certPem: string; keyPem: string },
    headers: Record<string, string> = {},
  ): Promise<Reply & { requestIdHeader: unknown }> {
    const answer = await send(new URL(target, controller.serviceUrl), controller, { credentials, headers });
    return {
      status: answer.status,
      contentType: String(answer.headers['content-type']),
      requestIdHeader: answer.headers['x-request-id'],
      body: JSON.parse(answer.text) as Record<string, unknown>,
    };
  }

  it('answers an unreachable agent with the problem+json of every other error (instance, requestId)', async () => {
    const controller = await startController(LOOPBACK);
    try {
      const caller = await controller.issueServiceCredentials('nobody', 'jenkins', 'ci');
      const problem = {
        type: 'urn:isd:problem:agent_unavailable',
        title: 'Bad Gateway',
        status: 502,
        detail: 'agent nobody is not connected with service jenkins/ci',
        instance: '/job/build?delay=0',
      };
      // The caller's own request id is kept, as the kit's apps keep it.
      expect(await serviceRequest(controller, '/job/build?delay=0', caller, { 'x-request-id': 'orca-42' })).toEqual({
        status: 502,
        contentType: 'application/problem+json',
        requestIdHeader: 'orca-42',
        body: { ...problem, requestId: 'orca-42' },
      });
      const upgrade = await serviceRequest(controller, '/job/build?delay=0', caller, {
        connection: 'Upgrade',
        upgrade: 'websocket',
      });
      expect(upgrade).toEqual({
        status: 502,
        contentType: 'application/problem+json',
        requestIdHeader: expect.stringMatching(/^[\w.:-]+$/),
        body: { ...problem, requestId: upgrade.requestIdHeader },
      });
      // The same members as the control API's errors, which the kit's app writes.
      const control = await controller.issueControlCredentials('sapor');
      const notFound = await request(controller, 'GET', '/api/v1/nothing', { credentials: control });
      expect(Object.keys(upgrade.body).sort()).toEqual(Object.keys(notFound.body).sort());
    } finally {
      await controller.stop();
    }
  });
});

describe('issuing credentials', () => {
  /** Status of the controller's /healthz, read through the event loop the issuing shares. */
  const healthz = (controller: RunningController): Promise<number> =>
    new Promise((resolve, reject) => {
      http
        .get(`${controller.metricsUrl}/healthz`, { agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });

  it('keeps the event loop serving while key pairs are generated', async () => {
    const controller = await startController(LOOPBACK);
    try {
      const events: string[] = [];
      let issued = false;
      // A burst of credentials, as several control API calls would ask for them.
      const issuing = Promise.all([
        controller.issueAgentCredentials('cluster-a'),
        controller.issueServiceCredentials('cluster-a', 'generic', 'b'),
        controller.generateAgentManifest('cluster-c'),
        controller.issueControlCredentials('ops'),
      ]).then(() => {
        issued = true;
        events.push('issued');
      });
      setImmediate(() => events.push(issued ? 'immediate after issuing' : 'immediate'));
      // A whole HTTP exchange (connect, request, response) takes many turns of the loop.
      events.push(`healthz ${await healthz(controller)}`);
      await issuing;
      expect(events).toEqual(['immediate', 'healthz 200', 'issued']);
    } finally {
      await controller.stop();
    }
  });
});
