import https from 'node:https';
import { startKubeApiServer, type KubeApiServer } from './server';

// The harness's HTTP contract below kubectl: status codes and Status bodies for bad input, watch
// resumption and compaction, and log/exec edge cases — each as the Kubernetes API documents it.

let server: KubeApiServer;

beforeAll(async () => {
  server = await startKubeApiServer({ maxBodyBytes: 64 * 1024 });
});

afterAll(() => server.stop());

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: Record<string, unknown>;
}

function call(
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; token?: string | null } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== null) headers.authorization = `Bearer ${options.token ?? server.token}`;
    if (options.body !== undefined) headers['content-type'] = headers['content-type'] ?? 'application/json';
    const request = https.request(`${server.url}${path}`, { method, headers, ca: server.caPem }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          // Not JSON (logs, watch streams): tests read `body`.
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, json });
      });
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Reads watch events until `count` arrived, then aborts the request. */
function watch(path: string, count: number): Promise<{ type: string; object: Record<string, unknown> }[]> {
  return new Promise((resolve, reject) => {
    const events: { type: string; object: Record<string, unknown> }[] = [];
    let buffer = '';
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`only ${events.length} of ${count} watch events arrived: ${JSON.stringify(events)}`));
    }, 5000);
    const request = https.get(
      `${server.url}${path}`,
      { headers: { authorization: `Bearer ${server.token}` }, ca: server.caPem },
      (response) => {
        response.on('data', (chunk: Buffer) => {
          buffer += chunk.toString();
          let newline = buffer.indexOf('\n');
          while (newline >= 0) {
            events.push(JSON.parse(buffer.slice(0, newline)) as { type: string; object: Record<string, unknown> });
            buffer = buffer.slice(newline + 1);
            newline = buffer.indexOf('\n');
          }
          if (events.length >= count) {
            clearTimeout(timer);
            request.destroy();
            resolve(events);
          }
        });
        response.on('end', () => {
          clearTimeout(timer);
          resolve(events);
        });
      },
    );
    request.on('error', () => undefined);
  });
}

function configMap(name: string, namespace = 'default', labels: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels },
    data: { k: 'v' },
  });
}

describe('authentication and routing', () => {
  it('answers 401 with an Unauthorized Status without the bearer token', async () => {
    const reply = await call('GET', '/api/v1/namespaces', { token: null });
    expect(reply.status).toBe(401);
    expect(reply.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
  });

  it('answers 404 for a resource it does not serve', async () => {
    const reply = await call('GET', '/apis/batch/v1/jobs');
    expect(reply.status).toBe(404);
    expect(reply.json.reason).toBe('NotFound');
  });

  it('lists subresources (log, exec, attach, portforward) in /api/v1 discovery', async () => {
    const reply = await call('GET', '/api/v1');
    const names = (reply.json.resources as { name: string }[]).map((resource) => resource.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'pods',
        'pods/log',
        'pods/exec',
        'pods/attach',
        'pods/portforward',
        'configmaps',
        'secrets',
        'services',
        'namespaces',
      ]),
    );
    expect((await call('GET', '/apis')).json.groups).toEqual([expect.objectContaining({ name: 'apps' })]);
  });

  it('answers 406 when only protobuf is acceptable', async () => {
    const reply = await call('GET', '/api/v1/namespaces/default/configmaps', {
      headers: { accept: 'application/vnd.kubernetes.protobuf' },
    });
    expect(reply.status).toBe(406);
  });
});

describe('bad input gets a 4xx Status naming the problem', () => {
  it('400 for a body that is not JSON', async () => {
    const reply = await call('POST', '/api/v1/namespaces/default/configmaps', { body: '{not json' });
    expect(reply.status).toBe(400);
    expect(reply.json.message).toContain('not valid JSON');
  });

  it('400 when the body kind does not match the URL', async () => {
    const reply = await call('POST', '/api/v1/namespaces/default/configmaps', {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }),
    });
    expect(reply.status).toBe(400);
    expect(reply.json.message).toContain('kind "Secret"');
  });

  it('422 for an object without a name', async () => {
    const reply = await call('POST', '/api/v1/namespaces/default/configmaps', {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }),
    });
    expect(reply.status).toBe(422);
    expect(reply.json.message).toContain('metadata.name');
  });

  it('404 when creating into a namespace that does not exist', async () => {
    const reply = await call('POST', '/api/v1/namespaces/nowhere/configmaps', { body: configMap('x', 'nowhere') });
    expect(reply.status).toBe(404);
    expect(reply.json.message).toBe('namespaces "nowhere" not found');
  });

  it('409 AlreadyExists for a duplicate create and 409 Conflict for a stale resourceVersion', async () => {
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', { body: configMap('twice') })).status).toBe(
      201,
    );
    const duplicate = await call('POST', '/api/v1/namespaces/default/configmaps', { body: configMap('twice') });
    expect(duplicate.status).toBe(409);
    expect(duplicate.json.reason).toBe('AlreadyExists');
    const stale = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'twice', resourceVersion: '1' },
      data: {},
    });
    const conflict = await call('PUT', '/api/v1/namespaces/default/configmaps/twice', { body: stale });
    expect(conflict.status).toBe(409);
    expect(conflict.json.reason).toBe('Conflict');
  });

  it('413 for a body over the configured limit', async () => {
    const reply = await call('POST', '/api/v1/namespaces/default/configmaps', {
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'big' },
        data: { blob: 'x'.repeat(100 * 1024) },
      }),
    });
    expect(reply.status).toBe(413);
  });

  it('refuses PATCH and selectors with a Status naming the real kube-apiserver, never an unfiltered answer', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { body: configMap('patch-me') });
    const patch = await call('PATCH', '/api/v1/namespaces/default/configmaps/patch-me', {
      body: '{}',
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(patch.status).toBe(405);
    expect(patch.json.message).toContain('real kube-apiserver');
    const selected = await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=a%3Db');
    expect(selected.status).toBe(400);
    expect(selected.json.message).toContain('selectors are not served');
  });
});

describe('watch', () => {
  it('resumes after a resourceVersion: replays later events in order', async () => {
    const list = await call('GET', '/api/v1/namespaces/default/configmaps');
    const from = (list.json.metadata as { resourceVersion: string }).resourceVersion;
    await call('POST', '/api/v1/namespaces/default/configmaps', {
      body: configMap('w-1', 'default', { watch: 'yes' }),
    });
    const created = await call('GET', '/api/v1/namespaces/default/configmaps/w-1');
    await call('PUT', '/api/v1/namespaces/default/configmaps/w-1', {
      body: JSON.stringify({ ...created.json, data: { k: 'v2' } }),
    });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/w-1');
    const events = await watch(`/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${from}`, 3);
    expect(events.map((event) => `${event.type} ${(event.object.metadata as { name: string }).name}`)).toEqual([
      'ADDED w-1',
      'MODIFIED w-1',
      'DELETED w-1',
    ]);
    const versions = events.map((event) =>
      Number((event.object.metadata as { resourceVersion: string }).resourceVersion),
    );
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(versions[0]).toBeGreaterThan(Number(from));
  });

  it('ends with an ERROR event carrying 410 Expired when the resourceVersion was compacted away', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { body: configMap('churn') });
    for (let index = 0; index < 1001; index += 1)
      server.store.put({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'churn', namespace: 'default' },
        data: { index: String(index) },
      });
    const events = await watch('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2', 1);
    expect(events).toEqual([
      { type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) },
    ]);
  });
});

describe('pod logs and streaming subresources', () => {
  beforeAll(() => {
    server.store.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'two', namespace: 'default' },
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
    });
    for (const line of ['1', '2', '3']) server.store.appendPodLog('default', 'two', line);
  });

  it('needs a container name when the pod has several, and refuses an unknown one', async () => {
    expect((await call('GET', '/api/v1/namespaces/default/pods/two/log')).json.message).toContain(
      'a container name must be specified for pod two, choose one of: [a b]',
    );
    expect((await call('GET', '/api/v1/namespaces/default/pods/two/log?container=c')).json.message).toBe(
      'container c is not valid for pod two',
    );
  });

  it('honours tailLines', async () => {
    expect((await call('GET', '/api/v1/namespaces/default/pods/two/log?container=a&tailLines=2')).body).toBe('2\n3\n');
  });

  it('answers a plain GET of exec with 400 Upgrade request required', async () => {
    const reply = await call('GET', '/api/v1/namespaces/default/pods/two/exec?command=ls');
    expect(reply.status).toBe(400);
    expect(reply.json.message).toContain('Upgrade request required');
  });
});

describe('upgrade refusal', () => {
  it('refuseSpdy answers a SPDY/3.1 upgrade with a fast 400 Status instead of 101', async () => {
    const refusing = await startKubeApiServer({ refuseSpdy: true });
    try {
      refusing.store.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'default' },
        spec: { containers: [{ name: 'main' }] },
      });
      const status = await new Promise<{ code: number; body: string }>((resolve, reject) => {
        const request = https.request(`${refusing.url}/api/v1/namespaces/default/pods/p/exec?command=ls&stdout=true`, {
          method: 'POST',
          ca: refusing.caPem,
          headers: {
            authorization: `Bearer ${refusing.token}`,
            connection: 'Upgrade',
            upgrade: 'SPDY/3.1',
            'x-stream-protocol-version': 'v4.channel.k8s.io',
          },
        });
        request.on('response', (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ code: response.statusCode ?? 0, body }));
        });
        request.on('upgrade', () => reject(new Error('upgraded although refuseSpdy is set')));
        request.on('error', reject);
        request.end();
      });
      expect(status.code).toBe(400);
      expect(JSON.parse(status.body)).toMatchObject({
        kind: 'Status',
        reason: 'BadRequest',
        message: expect.stringContaining('refuseSpdy'),
      });
    } finally {
      await refusing.stop();
    }
  });
});

describe('namespaces', () => {
  it('deleting a namespace deletes the objects in it', async () => {
    server.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'short-lived' } });
    server.store.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'short-lived' },
      stringData: { password: 'p' },
    });
    expect(server.store.find('Secret', 'short-lived', 's')?.data).toEqual({
      password: Buffer.from('p').toString('base64'),
    });
    expect((await call('DELETE', '/api/v1/namespaces/short-lived')).status).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/short-lived/secrets/s')).status).toBe(404);
  });
});
