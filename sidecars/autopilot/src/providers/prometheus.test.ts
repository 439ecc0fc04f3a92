// The Prometheus client against a real Prometheus (Debian package) serving HTTPS with a self-signed
// certificate, scraping two prom-client apps; auth headers against a local replay server.
import { eventually } from '@isd/test-support';
import fs from 'node:fs';
import {
  certificateAuthority,
  selfSignedCertificate,
  startDemoApp,
  startPrometheus,
  type DemoApp,
  type PrometheusServer,
} from '../../test/prometheus-harness';
import { startReplayServer } from '../../test/replay-server';
import { createPrometheusProvider } from './prometheus';
import { expandQuery } from '../templates/template';
import { ProviderError } from './provider';

jest.setTimeout(40_000);

let apps: DemoApp[];
let prometheus: PrometheusServer;
let tls: ReturnType<typeof selfSignedCertificate>;

beforeAll(async () => {
  tls = selfSignedCertificate();
  apps = await Promise.all([
    startDemoApp({ namespace: 'prod', deployment: 'web-v1' }, { meanSeconds: 0.1, sdSeconds: 0.01, seed: 1 }),
    startDemoApp({ namespace: 'prod', deployment: 'web-v2' }, { meanSeconds: 0.1, sdSeconds: 0.01, seed: 2 }),
  ]);
  prometheus = await startPrometheus(apps, { tls: { certFile: tls.certFile, keyFile: tls.keyFile } });
});

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all((apps ?? []).map((app) => app.close()));
  if (tls) fs.rmSync(tls.dir, { recursive: true, force: true });
});

const trusted = () =>
  createPrometheusProvider('prom', { url: prometheus.url, tls: { caFile: tls.certFile }, timeoutMs: 3_000 });

describe('Prometheus client on a real Prometheus over TLS', () => {
  it('fetches a range query on the step grid, trusting the configured CA', async () => {
    const provider = trusted();
    const query = `demo_request_latency_seconds{${provider.renderScope({ namespace: 'prod', deployment: 'web-v1' })}}`;
    expect(query).toBe('demo_request_latency_seconds{namespace="prod",deployment="web-v1"}');
    const series = await eventually(
      async () => {
        const endMs = Date.now();
        const fetched = await provider.fetch(query, { startMs: endMs - 10_000, endMs, stepSeconds: 1 });
        return fetched.values.filter(Number.isFinite).length >= 3 ? fetched : undefined;
      },
      20_000,
      'three scraped points',
    );
    expect(series.seriesCount).toBe(1);
    expect(series.labels).toMatchObject({
      __name__: 'demo_request_latency_seconds',
      namespace: 'prod',
      deployment: 'web-v1',
      job: 'demo',
    });
    expect(series.timestampsMs.length).toBeGreaterThanOrEqual(10);
    expect(series.timestampsMs[1]! - series.timestampsMs[0]!).toBe(1_000);
    for (const value of series.values.filter(Number.isFinite)) expect(value).toBeGreaterThan(0);
    expect(series.problems).toEqual([]);
  });

  it('refuses a certificate it was not told to trust, as an unavailable provider', async () => {
    const untrusted = createPrometheusProvider('prom', { url: prometheus.url, timeoutMs: 3_000 });
    const failure = await untrusted
      .fetch('up', { startMs: Date.now() - 5_000, endMs: Date.now(), stepSeconds: 1 })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/SELF_SIGNED|self.signed/i) });
  });

  it('reports an empty result and several series as problems naming the query', async () => {
    const provider = trusted();
    const window = { startMs: Date.now() - 5_000, endMs: Date.now(), stepSeconds: 1 };
    const empty = await provider.fetch('demo_request_latency_seconds{deployment="missing"}', window);
    expect(empty.seriesCount).toBe(0);
    expect(empty.values.every(Number.isNaN)).toBe(true);
    expect(empty.problems[0]).toMatch(/^no series matched demo_request_latency_seconds\{deployment="missing"\}/);
    const several = await eventually(
      async () => {
        const fetched = await provider.fetch('demo_request_latency_seconds', { ...window, endMs: Date.now() });
        return fetched.seriesCount === 2 ? fetched : undefined;
      },
      10_000,
      'two series',
    );
    expect(several.values.every(Number.isNaN)).toBe(true);
    expect(several.problems[0]).toMatch(/returned 2 series .*aggregate them to one/);
  });

  it('keeps a pipeline’s scope value inside the template’s string literal (no selector injection)', async () => {
    const provider = trusted();
    const window = () => ({ startMs: Date.now() - 5_000, endMs: Date.now(), stepSeconds: 1 });
    const count = async (template: string, deployment: string) =>
      (await provider.fetch(expandQuery(template, { deployment }, provider, 1), window())).seriesCount;
    await eventually(
      async () =>
        (await provider.fetch('demo_request_latency_seconds', window())).seriesCount === 2 ? true : undefined,
      10_000,
      'both deployments scraped',
    );
    const exact = 'demo_request_latency_seconds{namespace="prod",deployment="${scope.deployment}"}';
    expect(await count(exact, 'web-v1')).toBe(1);
    // Written as it came, this closed the literal and added web-v2's series (2); it is one odd value now.
    const breakout = 'web-v1"} or demo_request_latency_seconds{deployment="web-v2';
    expect(expandQuery(exact, { deployment: breakout }, provider, 1)).toBe(
      'demo_request_latency_seconds{namespace="prod",deployment="web-v1\\"} or demo_request_latency_seconds{deployment=\\"web-v2"}',
    );
    expect(await count(exact, breakout)).toBe(0);
    // In a regex literal (Kayenta's `=~"${scope.scope}-.{4}"`), the value matches itself only.
    const regex = 'demo_request_latency_seconds{deployment=~"${scope.deployment}"}';
    expect(await count(regex, 'web-v1')).toBe(1);
    expect(await count(regex, 'web-v.*')).toBe(0);
    expect(await count(regex, 'web-v1|web-v2')).toBe(0);
    expect(await count('demo_request_latency_seconds{deployment=~`${scope.deployment}`}', 'web-v.')).toBe(0);
  });

  it('returns Prometheus’s parse error for a bad query and accepts a good one', async () => {
    const provider = trusted();
    expect(await provider.checkQuery('sum(rate(demo_requests_total[1m])')).toMatch(/bad_data: .*parse error/);
    expect(await provider.checkQuery('sum(rate(demo_requests_total[1m]))')).toBeNull();
  });
});

describe('Prometheus client with mutual TLS', () => {
  it('presents its client certificate when Prometheus requires one, and is refused without it', async () => {
    const ca = certificateAuthority();
    const strict = await startPrometheus(apps.slice(0, 1), {
      tls: { certFile: ca.serverCert, keyFile: ca.serverKey, caFile: ca.caFile, clientCaFile: ca.caFile },
      client: { cert: fs.readFileSync(ca.clientCert), key: fs.readFileSync(ca.clientKey) },
    });
    try {
      const window = { startMs: Date.now() - 5_000, endMs: Date.now(), stepSeconds: 1 };
      const withCertificate = createPrometheusProvider('prom', {
        url: strict.url,
        tls: { caFile: ca.caFile, certFile: ca.clientCert, keyFile: ca.clientKey },
        timeoutMs: 3_000,
      });
      await expect(withCertificate.checkQuery('up')).resolves.toBeNull();
      await expect(withCertificate.fetch('up', window)).resolves.toMatchObject({ query: 'up' });
      const without = createPrometheusProvider('prom', {
        url: strict.url,
        tls: { caFile: ca.caFile },
        timeoutMs: 3_000,
      });
      await expect(without.fetch('up', window)).rejects.toMatchObject({ kind: 'unavailable' });
      const missingFile = createPrometheusProvider('prom', {
        url: strict.url,
        tls: { caFile: `${ca.dir}/nope.pem` },
        timeoutMs: 3_000,
      });
      await expect(missingFile.fetch('up', window)).rejects.toMatchObject({
        kind: 'unavailable',
        message: expect.stringMatching(/cannot read TLS files/),
      });
    } finally {
      await strict.stop();
      fs.rmSync(ca.dir, { recursive: true, force: true });
    }
  });
});

describe('Prometheus client auth', () => {
  const answer = {
    status: 'success',
    data: { resultType: 'matrix', result: [{ metric: { job: 'demo' }, values: [[1_700_000_000, '1.5']] }] },
  };

  it('sends basic auth, or a bearer token, with the range query as a form', async () => {
    const server = await startReplayServer();
    try {
      server.respond(() => ({ status: 200, body: answer }));
      const window = { startMs: 1_700_000_000_000, endMs: 1_700_000_002_000, stepSeconds: 1 };
      const basic = await createPrometheusProvider('prom', {
        url: `${server.url}/prefix`,
        username: 'isd',
        password: 's3cret',
        timeoutMs: 2_000,
      }).fetch('up', window);
      expect(basic.values).toEqual([1.5, Number.NaN, Number.NaN]);
      const request = server.requests[0]!;
      expect(request.url.pathname).toBe('/prefix/api/v1/query_range');
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from('isd:s3cret').toString('base64')}`);
      expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
        query: 'up',
        start: '1700000000',
        end: '1700000002',
        step: '1s',
      });
      await createPrometheusProvider('prom', { url: server.url, bearerToken: 'tok-123', timeoutMs: 2_000 }).fetch(
        'up',
        window,
      );
      expect(server.requests[1]!.headers.authorization).toBe('Bearer tok-123');
      server.respond(() => ({ status: 401, body: 'Unauthorized' }));
      await expect(
        createPrometheusProvider('prom', { url: server.url, timeoutMs: 2_000 }).fetch('up', window),
      ).rejects.toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/HTTP 401/) });
    } finally {
      await server.close();
    }
  });
});
