// Configuration: defaults, and a bad combination named by key.
import { loadConfig } from '@isd/kit';
import { saporConfigSchema } from '../src';

const tokens = { SAPOR_AUTH__SERVICE_TOKEN: 'x'.repeat(20), SAPOR_AUTH__GATE_TOKEN: 'y'.repeat(20) };

it('defaults to the built-in engine, v1 syntax, admin role, http.send off and the Armory/OpsMx static packages', () => {
  const config = loadConfig(saporConfigSchema, { env: tokens, envPrefix: 'SAPOR_' });
  expect(config.policy).toMatchObject({
    engine: 'builtin',
    defaultRegoVersion: 'v1',
    adminRoles: ['admin'],
    httpAllowedHosts: [],
    staticPackages: ['opa.pipelines', 'spinnaker.persistence.pipelines.before', 'isd.static'],
  });
});

it('refuses engine opa without an OPA URL, naming the key', () => {
  expect(() =>
    loadConfig(saporConfigSchema, { env: { ...tokens, SAPOR_POLICY__ENGINE: 'opa' }, envPrefix: 'SAPOR_' }),
  ).toThrow(/policy\.opa/);
});

it('refuses an x509 Gate login over http and basic auth without a password, naming the keys', () => {
  const load = (extra: Record<string, string>) =>
    loadConfig(saporConfigSchema, { env: { ...tokens, ...extra }, envPrefix: 'SAPOR_' });
  expect(() =>
    load({
      SAPOR_GATE__URL: 'http://gate:8084',
      SAPOR_GATE__X509__CERT_FILE: '/etc/sapor/tls.crt',
      SAPOR_GATE__X509__KEY_FILE: '/etc/sapor/tls.key',
    }),
  ).toThrow(/gate\.url.*https/);
  expect(() => load({ SAPOR_GATE__URL: 'https://gate:8085', SAPOR_GATE__USERNAME: 'sapor' })).toThrow(/gate\.password/);
  const config = load({ SAPOR_GATE__URL: 'https://gate:8085' });
  expect(config.gate).toMatchObject({ retries: 3, backoffMs: 200, breakerThreshold: 5, breakerResetMs: 30_000 });
  expect(config.insights).toMatchObject({ syncIntervalMs: 60_000, staleAfterMs: 900_000 });
  expect(config.audit.retentionDays).toBe(400);
});

it('validates pipelinesAsCode by key: credentials out of the URL, both halves of a login, a long webhook secret', () => {
  const load = (extra: Record<string, string>) =>
    loadConfig(saporConfigSchema, { env: { ...tokens, ...extra }, envPrefix: 'SAPOR_' });
  expect(() =>
    load({ SAPOR_PIPELINES_AS_CODE__GIT__URL: 'https://bot:token@git.example.com/org/pipelines.git' }),
  ).toThrow(/pipelinesAsCode\.git\.url.*username\/password/);
  expect(() =>
    load({
      SAPOR_PIPELINES_AS_CODE__GIT__URL: 'https://git.example.com/p.git',
      SAPOR_PIPELINES_AS_CODE__GIT__USERNAME: 'bot',
    }),
  ).toThrow(/pipelinesAsCode\.git\.password/);
  expect(() =>
    load({
      SAPOR_PIPELINES_AS_CODE__GIT__URL: 'https://git.example.com/p.git',
      SAPOR_PIPELINES_AS_CODE__WEBHOOK_SECRET: 'short',
    }),
  ).toThrow(/pipelinesAsCode\.webhookSecret/);
  expect(() =>
    load({
      SAPOR_PIPELINES_AS_CODE__GIT__URL: 'https://git.example.com/p.git',
      SAPOR_PIPELINES_AS_CODE__GIT__REF: '--upload-pack=x',
    }),
  ).toThrow(/pipelinesAsCode\.git\.ref/);
  const config = load({ SAPOR_PIPELINES_AS_CODE__GIT__URL: 'https://git.example.com/p.git' });
  expect(config.pipelinesAsCode).toMatchObject({
    git: { ref: 'main' },
    syncIntervalMs: 300_000,
    applications: [],
    limits: { maxDepth: 10, maxNodes: 100_000 },
  });
  expect(load({}).pipelinesAsCode).toBeUndefined();
});
