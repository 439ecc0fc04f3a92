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
