// oes-birger (the peer) in the tunnel bench's topology: its controller and agent binaries from
// `--birger-dir DIR` (built outside this repository; the Go module proxy does not serve the module), with
// a configuration generated here for each run: TLS on the agent hop and the service hop (certificates from
// the bench's CA), HS256 secrets for service, control and agent tokens, and one generic service pointing at
// the bench target. Nothing of birger is part of the repository.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { CertificateAuthority } from '@isd/controller';
import { freePort } from '@isd/test-support';

/** A running birger controller + agent. */
export interface Birger {
  /** The service endpoint callers use (HTTPS). */
  serviceUrl: string;
  /** Header carrying the service token (birger v5 reads X-Opsmx-Token, Bearer or the basic password). */
  headers: Record<string, string>;
  /** Process ids of the controller and the agent, for their CPU time. */
  pids: number[];
  stop(): void;
}

/** Finds the two binaries (`go build ./app/server ./app/client` names them server and client). */
export function birgerBinaries(dir: string): { server: string; client: string } {
  const pick = (names: string[]): string => {
    for (const name of names) {
      for (const candidate of [path.join(dir, name), path.join(dir, 'bin', name)]) {
        if (fs.existsSync(candidate)) return candidate;
      }
    }
    throw new Error(`--birger-dir ${dir}: none of ${names.join(', ')} found there (or in its bin/)`);
  };
  return { server: pick(['server', 'controller']), client: pick(['client', 'agent']) };
}

function run(binary: string, args: string[]): string {
  const result = spawnSync(binary, args, { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`${path.basename(binary)} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim().split('\n').at(-1) ?? '';
}

function start(binary: string, args: string[], logFile: string): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  // With POD_NAMESPACE set (even empty) birger loads secrets from the Kubernetes API, which is not here.
  const { POD_NAMESPACE: _unused, ...env } = process.env;
  return spawn(binary, args, { stdio: ['ignore', log, log], env });
}

function post(url: string, token: string, body: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: url.endsWith('getAgentStatistics') ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`birger: ${what} within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

/** Starts birger's controller and agent in front of `targetUrl`; resolves once the agent is connected. */
export async function startBirger(dir: string, targetUrl: string, ca: CertificateAuthority): Promise<Birger> {
  const { server, client } = birgerBinaries(dir);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-birger-'));
  const file = (name: string, text: string | Buffer): string => {
    const target = path.join(work, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text, { mode: 0o600 });
    return target;
  };
  const serverCert = await ca.issue({ purpose: 'server', name: 'birger' }, { dnsNames: ['localhost', '127.0.0.1'] });
  file('tls/tls.crt', serverCert.certPem);
  file('tls/tls.key', serverCert.keyPem);
  const caFile = file('ca.pem', serverCert.caPem);
  file('service-auth/key1', randomBytes(32));
  file('agent-auth/key1', randomBytes(32));
  const ports = {
    agent: await freePort(),
    service: await freePort(),
    control: await freePort(),
    metrics: await freePort(),
    agentMetrics: await freePort(),
  };
  const controllerConfig = file(
    'controller.yaml',
    [
      'agentHostname: localhost',
      `agentListenPort: ${ports.agent}`,
      'serviceHostname: localhost',
      `serviceListenPort: ${ports.service}`,
      'controlHostname: localhost',
      `controlListenPort: ${ports.control}`,
      `prometheusListenPort: ${ports.metrics}`,
      `agentTLSPath: ${path.join(work, 'tls')}`,
      `serviceTLSPath: ${path.join(work, 'tls')}`,
      'agentUseTLS: true',
      'serviceAuth:',
      '  currentKeyName: key1',
      '  headerMutationKeyName: key1',
      `  secretsPath: ${path.join(work, 'service-auth')}`,
      'agentAuth:',
      '  currentKeyName: key1',
      `  secretsPath: ${path.join(work, 'agent-auth')}`,
      '',
    ].join('\n'),
  );
  const agentToken = run(server, ['-configFile', controllerConfig, '-generate-agent-tokens', 'bench']);
  const controlToken = run(server, ['-configFile', controllerConfig, '-generate-control-tokens', 'bench']);
  file(
    'services.yaml',
    [
      'outgoingServices:',
      '  - enabled: true',
      '    name: target',
      '    type: generic',
      '    config:',
      `      url: ${targetUrl.replace(/\/$/, '')}`,
      '      credentials:',
      '        type: none',
      '',
    ].join('\n'),
  );
  const agentConfig = file(
    'agent.yaml',
    [
      `controllerHostname: localhost:${ports.agent}`,
      `caCertFile: ${caFile}`,
      `authTokenFile: ${file('agent-token', agentToken)}`,
      `servicesConfigFile: ${path.join(work, 'services.yaml')}`,
      `prometheusListenPort: ${ports.agentMetrics}`,
      '',
    ].join('\n'),
  );
  const children: ChildProcess[] = [];
  const stop = (): void => {
    for (const child of children) child.kill('SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  };
  try {
    children.push(
      start(server, ['-configFile', controllerConfig], path.join(os.tmpdir(), 'bench-birger-controller.log')),
    );
    const controlUrl = `http://127.0.0.1:${ports.control}`;
    const credentials = await until('control API answers', 20_000, async () => {
      const reply = await post(`${controlUrl}/api/v1/generateServiceCredentials`, controlToken, {
        agentName: 'bench',
        type: 'generic',
        name: 'target',
      });
      if (reply.status !== 200) throw new Error(`${reply.status} ${reply.text}`);
      return JSON.parse(reply.text) as { credential: { password: string } };
    });
    children.push(start(client, ['-configFile', agentConfig], path.join(os.tmpdir(), 'bench-birger-agent.log')));
    await until('agent connected', 30_000, async () => {
      const reply = await post(`${controlUrl}/api/v1/getAgentStatistics`, controlToken, undefined);
      const stats = JSON.parse(reply.text) as { connectedAgents?: unknown[] };
      return (stats.connectedAgents?.length ?? 0) > 0 ? true : undefined;
    });
    return {
      serviceUrl: `https://localhost:${ports.service}`,
      headers: { 'x-opsmx-token': credentials.credential.password },
      pids: children.map((child) => child.pid as number),
      stop,
    };
  } catch (error) {
    stop();
    throw new Error(
      `${(error as Error).message} (logs: ${path.join(os.tmpdir(), 'bench-birger-controller.log')}, ${path.join(os.tmpdir(), 'bench-birger-agent.log')})`,
    );
  }
}
