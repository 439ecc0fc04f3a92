import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { RunningController } from '@isd/controller';
import { startLocalController } from './tunnel-support';
import { loadAgentConfig, toAgentConfig } from '@isd/agent';

describe('generated agent manifest', () => {
  let controller: RunningController;
  beforeAll(async () => {
    controller = await startLocalController({
      serverNames: ['controller.isd.svc', '127.0.0.1'],
      agentAdvertiseAddress: 'tunnel.example.com:443',
    });
  });
  afterAll(async () => {
    await controller.stop();
  });

  it('carries an agent config the agent accepts, with the Secret holding a certificate for that agent', async () => {
    const { manifest, certPem } = await controller.generateAgentManifest('cluster-z', { namespace: 'remote' });
    const documents = parseAllDocuments(manifest).map(
      (document) =>
        document.toJSON() as {
          kind: string;
          data?: Record<string, string>;
          stringData?: Record<string, string>;
          metadata: { namespace?: string };
        },
    );
    const configMap = documents.find((document) => document.kind === 'ConfigMap');
    const secret = documents.find((document) => document.kind === 'Secret');
    expect(secret?.stringData?.['tls.crt']).toBe(certPem);
    expect(
      documents
        .filter((document) => document.metadata.namespace !== undefined)
        .every((document) => document.metadata.namespace === 'remote'),
    ).toBe(true);
    const directory = mkdtempSync(path.join(os.tmpdir(), 'manifest-'));
    const file = path.join(directory, 'agent.yaml');
    writeFileSync(file, configMap?.data?.['agent.yaml'] ?? '');
    const fileConfig = loadAgentConfig({}, file);
    expect(fileConfig.controllers).toEqual(['tunnel.example.com:443']);
    expect(fileConfig.serverName).toBe('controller.isd.svc');
    const files: Record<string, string> = {
      '/etc/isd-agent/tls/tls.crt': secret?.stringData?.['tls.crt'] ?? '',
      '/etc/isd-agent/tls/tls.key': secret?.stringData?.['tls.key'] ?? '',
      '/etc/isd-agent/tls/ca.crt': secret?.stringData?.['ca.crt'] ?? '',
    };
    const agentConfig = toAgentConfig(
      fileConfig,
      { host: '10.96.0.1', port: '443', serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount' },
      (name) => {
        const content = files[name];
        if (content === undefined) throw new Error(`unexpected read of ${name}`);
        return content;
      },
    );
    expect(agentConfig.credentials.caPem).toBe(controller.ca.certPem);
    expect(agentConfig.services[0]).toMatchObject({ type: 'kubernetes', url: 'https://10.96.0.1:443' });
  });
});
