import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

/** What a kubeconfig for one cluster and user needs. */
export interface KubeconfigOptions {
  server: string;
  /** PEM of the CA that signed the server's certificate. */
  caPem: string;
  token?: string;
  clientCertificatePem?: string;
  clientKeyPem?: string;
  namespace?: string;
  /** Names for the cluster, user and context entries. */
  name?: string;
}

/** Renders a kubeconfig (YAML) with one cluster, user and current context. */
export function renderKubeconfig(options: KubeconfigOptions): string {
  const name = options.name ?? 'harness';
  const user: Record<string, string> = {};
  if (options.token) user.token = options.token;
  if (options.clientCertificatePem)
    user['client-certificate-data'] = Buffer.from(options.clientCertificatePem).toString('base64');
  if (options.clientKeyPem) user['client-key-data'] = Buffer.from(options.clientKeyPem).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: options.server,
          'certificate-authority-data': Buffer.from(options.caPem).toString('base64'),
        },
      },
    ],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: options.namespace ?? 'default' } }],
    'current-context': name,
  });
}

/** Writes a kubeconfig file (mode 0600, as kubectl expects credentials to be kept). */
export function writeKubeconfig(path: string, options: KubeconfigOptions): string {
  writeFileSync(path, renderKubeconfig(options), { mode: 0o600 });
  return path;
}
