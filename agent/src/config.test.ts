import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAgentConfig, toAgentConfig } from './config';

describe('agent configuration', () => {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'agent-config-'));
  const file = path.join(directory, 'agent.yaml');
  writeFileSync(
    file,
    [
      'controllers: [controller.isd.svc:9001]',
      'credentials: { certFile: /tls/tls.crt, keyFile: /tls/tls.key, caFile: /tls/ca.crt }',
      'services:',
      '  - { name: kubernetes, type: kubernetes, inCluster: true }',
      '  - { name: ci, type: jenkins, url: "https://jenkins.example:8443/ci", credentials: { type: basic, username: spin, password: pw } }',
    ].join('\n'),
  );
  const readFile = (name: string): string => `pem of ${name}`;

  it('loads services and maps an in-cluster kubernetes service onto the pod ServiceAccount', () => {
    const config = toAgentConfig(
      loadAgentConfig({}, file),
      { host: '10.0.0.1', port: '443', serviceAccountDir: '/sa' },
      readFile,
    );
    expect(config.credentials).toEqual({
      certPem: 'pem of /tls/tls.crt',
      keyPem: 'pem of /tls/tls.key',
      caPem: 'pem of /tls/ca.crt',
    });
    expect(config.services[0]).toMatchObject({
      url: 'https://10.0.0.1:443',
      caFile: '/sa/ca.crt',
      credentials: { type: 'bearer', tokenFile: '/sa/token' },
    });
    expect(config.services[1]).toMatchObject({
      type: 'jenkins',
      url: 'https://jenkins.example:8443/ci',
      credentials: { type: 'basic', username: 'spin' },
    });
    expect(config.healthPort).toBe(9103);
  });

  it('names the key of invalid values', () => {
    expect(() => loadAgentConfig({ ISD_AGENT_POOL_SIZE: '0' }, file)).toThrow(/poolSize/);
    expect(() => loadAgentConfig({ ISD_AGENT_MAX_CONCURRENT_EXCHANGES: '0' }, file)).toThrow(/maxConcurrentExchanges/);
    expect(loadAgentConfig({}, file).maxConcurrentExchanges).toBe(2048);
    expect(() => loadAgentConfig({ ISD_AGENT_CONTROLLERS: '[nohostport]' }, file)).toThrow(/controllers/);
    expect(() => toAgentConfig(loadAgentConfig({}, file), { serviceAccountDir: '/sa' }, readFile)).toThrow(
      /services\[0\]\.inCluster needs KUBERNETES_SERVICE_HOST/,
    );
  });
});
