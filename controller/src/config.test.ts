import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadControllerConfig, toControllerConfig } from './config';

describe('controller configuration', () => {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'controller-config-'));

  it('defaults to the oes-birger ports 9001, 9002, 9003 and 9102', () => {
    const config = loadControllerConfig({});
    expect([
      config.agentListenPort,
      config.serviceListenPort,
      config.controlListenPort,
      config.prometheusListenPort,
    ]).toEqual([9001, 9002, 9003, 9102]);
    expect(config.credentialShape).toBe('cert');
  });

  it('reads YAML and lets the environment override it', () => {
    const file = path.join(directory, 'controller.yaml');
    writeFileSync(file, 'serviceListenPort: 19002\nserverNames: [controller.isd.svc]\ncredentialShape: token\n');
    const config = loadControllerConfig({ ISD_CONTROLLER_SERVICE_LISTEN_PORT: '0' }, file);
    expect(config.serviceListenPort).toBe(0);
    expect(config.serverNames).toEqual(['controller.isd.svc']);
    expect(toControllerConfig(config)).toMatchObject({
      servicePort: 0,
      credentialShape: 'token',
      serverNames: ['controller.isd.svc'],
    });
  });

  it('names the key of a bad value or an unknown key', () => {
    expect(() => loadControllerConfig({ ISD_CONTROLLER_AGENT_LISTEN_PORT: '70000' })).toThrow(/agentListenPort/);
    const file = path.join(directory, 'typo.yaml');
    writeFileSync(file, 'insecureAgentConections: true\n');
    expect(() => loadControllerConfig({}, file)).toThrow(/unknown key insecureAgentConections/);
    expect(() => loadControllerConfig({ ISD_CONTROLLER_CA_CERT_FILE: '/ca.crt' })).toThrow(/caKeyFile is required/);
  });

  it('reads a provided CA from files', () => {
    const config = loadControllerConfig({
      ISD_CONTROLLER_CA_CERT_FILE: '/ca.crt',
      ISD_CONTROLLER_CA_KEY_FILE: '/ca.key',
    });
    expect(toControllerConfig(config, (file) => `pem of ${file}`).ca).toEqual({
      certPem: 'pem of /ca.crt',
      keyPem: 'pem of /ca.key',
    });
  });

  it('keeps revocations in Postgres only with database.url, validated by key', () => {
    expect(toControllerConfig(loadControllerConfig({})).database).toBeUndefined();
    const config = loadControllerConfig({
      ISD_CONTROLLER_DATABASE__URL: 'postgres://isd:secret@db:5432/isd',
      ISD_CONTROLLER_DATABASE__REFRESH_INTERVAL_MS: '2000',
    });
    expect(toControllerConfig(config).database).toEqual({
      url: 'postgres://isd:secret@db:5432/isd',
      refreshIntervalMs: 2000,
    });
    expect(() => loadControllerConfig({ ISD_CONTROLLER_DATABASE__URL: 'mysql://db/isd' })).toThrow(
      /database\.url.*postgres:\/\//,
    );
    expect(() =>
      loadControllerConfig({
        ISD_CONTROLLER_DATABASE__URL: 'postgres://db/isd',
        ISD_CONTROLLER_DATABASE__REFRESH_INTERVAL_MS: '10',
      }),
    ).toThrow(/database\.refreshIntervalMs/);
  });

  it('caps what one agent may hold (agentLimits), defaulting each key and naming a bad one', () => {
    expect(toControllerConfig(loadControllerConfig({})).agentLimits).toEqual({
      connectionsPerAgent: 256,
      sessionsPerAgent: 32,
      pendingStreamsPerAgent: 4096,
      pendingStreams: 8192,
      streamsPerConnection: 4096,
    });
    const config = loadControllerConfig({ ISD_CONTROLLER_AGENT_LIMITS__SESSIONS_PER_AGENT: '4' });
    expect(toControllerConfig(config).agentLimits).toMatchObject({ sessionsPerAgent: 4, connectionsPerAgent: 256 });
    expect(() => loadControllerConfig({ ISD_CONTROLLER_AGENT_LIMITS__PENDING_STREAMS: '0' })).toThrow(
      /agentLimits\.pendingStreams/,
    );
  });
});
