import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { CertificateAuthority } from '@isd/controller';
import { call, startTestTarget, type TestTarget } from './tunnel-support';

/** Runs a main.ts and resolves with the first JSON log line whose msg matches. */
function runMain(
  script: string,
  args: string[],
  env: Record<string, string>,
  message: string,
): Promise<{ child: ChildProcess; line: Record<string, unknown> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    let errors = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const text of output.split('\n')) {
        if (!text.startsWith('{')) continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        if (line.msg === message) resolve({ child, line });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`${path.basename(script)} exited with ${code}: ${errors}`)));
  });
}

describe('controller and agent main entry points', () => {
  let target: TestTarget;
  const children: ChildProcess[] = [];
  const directory = mkdtempSync(path.join(os.tmpdir(), 'tunnel-main-'));
  beforeAll(async () => {
    target = await startTestTarget();
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await target.close();
  });

  it('start from YAML + env, connect, forward, and exit cleanly on SIGTERM', async () => {
    const ca = await CertificateAuthority.generate();
    const caFiles = { cert: path.join(directory, 'ca.crt'), key: path.join(directory, 'ca.key') };
    writeFileSync(caFiles.cert, ca.exportPem().certPem);
    writeFileSync(caFiles.key, ca.exportPem().keyPem);
    const controllerFile = path.join(directory, 'controller.yaml');
    writeFileSync(
      controllerFile,
      stringify({
        listenHost: '127.0.0.1',
        agentListenPort: 0,
        serviceListenPort: 0,
        controlListenPort: 0,
        caCertFile: caFiles.cert,
        caKeyFile: caFiles.key,
      }),
    );
    const controller = await runMain(
      path.join(__dirname, '..', '..', 'controller', 'src', 'main.ts'),
      ['--config', controllerFile],
      { ISD_CONTROLLER_PROMETHEUS_LISTEN_PORT: '0' },
      'controller started',
    );
    children.push(controller.child);
    const agentUrl = String(controller.line.agentUrl);
    const serviceUrl = String(controller.line.serviceUrl);

    const agentCredentials = await ca.issue({ purpose: 'agent', agent: 'cluster-main' });
    const files = {
      cert: path.join(directory, 'tls.crt'),
      key: path.join(directory, 'tls.key'),
      ca: path.join(directory, 'agent-ca.crt'),
    };
    writeFileSync(files.cert, agentCredentials.certPem);
    writeFileSync(files.key, agentCredentials.keyPem);
    writeFileSync(files.ca, agentCredentials.caPem);
    const agentFile = path.join(directory, 'agent.yaml');
    writeFileSync(
      agentFile,
      stringify({
        controllers: [agentUrl],
        serverName: 'localhost',
        credentials: { certFile: files.cert, keyFile: files.key, caFile: files.ca },
        healthHost: '127.0.0.1',
        services: [{ name: 'ci', type: 'jenkins', url: target.url }],
      }),
    );
    const agent = await runMain(
      path.join(__dirname, '..', '..', 'agent', 'src', 'main.ts'),
      [],
      { ISD_AGENT_CONFIG_FILE: agentFile, ISD_AGENT_HEALTH_PORT: '0' },
      'connected to controller',
    );
    children.push(agent.child);

    const caller = await ca.issue({ purpose: 'service', agent: 'cluster-main', type: 'jenkins', name: 'ci' });
    const result = await call(serviceUrl, '/status?code=202', { caPem: ca.certPem, credentials: caller });
    expect(result.status).toBe(202);

    for (const child of [agent.child, controller.child]) {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 60_000);

  it('refuses a bad configuration with one line naming the key', async () => {
    const file = path.join(directory, 'bad.yaml');
    writeFileSync(file, 'agentListenPort: -1\n');
    await expect(
      runMain(
        path.join(__dirname, '..', '..', 'controller', 'src', 'main.ts'),
        ['--config', file],
        {},
        'controller started',
      ),
    ).rejects.toThrow(/exited with 2: config: agentListenPort/);
  }, 30_000);

  it('does not start when the database of the shared revocation list is unreachable, naming database.url and hiding the password', async () => {
    // A port nothing listens on: connections are refused at once.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const failure = runMain(
      path.join(__dirname, '..', '..', 'controller', 'src', 'main.ts'),
      [],
      {
        ISD_CONTROLLER_LISTEN_HOST: '127.0.0.1',
        ISD_CONTROLLER_AGENT_LISTEN_PORT: '0',
        ISD_CONTROLLER_SERVICE_LISTEN_PORT: '0',
        ISD_CONTROLLER_CONTROL_LISTEN_PORT: '0',
        ISD_CONTROLLER_PROMETHEUS_LISTEN_PORT: '0',
        ISD_CONTROLLER_DATABASE__URL: `postgres://isd:hunter2secret@127.0.0.1:${port}/isd`,
      },
      'controller started',
    );
    await expect(failure).rejects.toThrow(
      new RegExp(
        `exited with 1: config: database\\.url: database at postgres://isd:\\*\\*\\*@127\\.0\\.0\\.1:${port}/isd is not reachable`,
      ),
    );
    await expect(failure).rejects.not.toThrow(/hunter2secret/);
  }, 30_000);

  it.each(['controller', 'agent'])(
    '%s refuses an unknown option or a --config without a file, with its usage',
    async (name) => {
      const script = path.join(__dirname, '..', '..', name, 'src', 'main.ts');
      await expect(runMain(script, ['--confg', 'x.yaml'], {}, 'started')).rejects.toThrow(
        /exited with 2: Unknown option '--confg'[\s\S]*usage: main.js \[--config FILE\]/,
      );
      await expect(runMain(script, ['--config'], {}, 'started')).rejects.toThrow(
        /exited with 2: Option '--config <value>' argument missing/,
      );
    },
    60_000,
  );
});
