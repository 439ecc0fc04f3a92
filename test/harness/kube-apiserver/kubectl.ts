import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The kubectl binary tests drive (override with ISD_KUBECTL). */
export const KUBECTL_BINARY = process.env.ISD_KUBECTL ?? 'kubectl';

/** Result of one kubectl run. */
export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How to run kubectl against one kubeconfig. */
export interface KubectlOptions {
  kubeconfig: string;
  /** Discovery cache directory; one per test file keeps runs independent. */
  cacheDir: string;
  stdin?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

function baseArgs(options: KubectlOptions): string[] {
  return [`--kubeconfig=${options.kubeconfig}`, `--cache-dir=${options.cacheDir}`, '--request-timeout=20s'];
}

/** Runs kubectl to completion (killed after `timeoutMs`, default 20 s). */
export function runKubectl(args: readonly string[], options: KubectlOptions): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL_BINARY, [...baseArgs(options), ...args], { env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** A long-running kubectl (`get -w`, `logs -f`, `port-forward`) whose output tests wait on. */
export interface KubectlProcess {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  errors(): string;
  /** Resolves when stdout matches, rejects on timeout or exit. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Kills the process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts kubectl in the background. */
export function spawnKubectl(args: readonly string[], options: KubectlOptions): KubectlProcess {
  const child = spawn(
    KUBECTL_BINARY,
    [...baseArgs(options).filter((arg) => !arg.startsWith('--request-timeout')), ...args],
    {
      env: { ...process.env, ...options.env },
    },
  );
  let stdout = '';
  let stderr = '';
  let exited = false;
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const listener of listeners) listener();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('close', () => {
    exited = true;
    for (const listener of listeners) listener();
  });
  return {
    child,
    output: () => stdout,
    errors: () => stderr,
    waitFor(pattern, timeoutMs = 15_000) {
      const matches = () => (typeof pattern === 'string' ? stdout.includes(pattern) : pattern.test(stdout));
      return new Promise((resolve, reject) => {
        const check = () => {
          if (matches()) {
            done();
            resolve(stdout);
          } else if (exited) {
            done();
            reject(new Error(`kubectl exited before printing ${String(pattern)}; stdout: ${stdout} stderr: ${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${String(pattern)}; stdout: ${stdout} stderr: ${stderr}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    stop() {
      if (exited) return Promise.resolve();
      return new Promise((resolve) => {
        child.once('close', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      });
    },
  };
}

/** kubectl bound to one kubeconfig and a private discovery cache, for a test file. */
export interface KubectlSession {
  kubeconfig: string;
  directory: string;
  run(args: readonly string[], extra?: Partial<KubectlOptions>): Promise<KubectlResult>;
  spawn(args: readonly string[], extra?: Partial<KubectlOptions>): KubectlProcess;
  /** Removes the temporary directory. */
  dispose(): void;
}

/** Makes a temporary directory holding `kubeconfigYaml` and a discovery cache, and binds kubectl to them. */
export function createKubectlSession(kubeconfigYaml: string): KubectlSession {
  const directory = mkdtempSync(join(tmpdir(), 'isd-kubectl-'));
  const kubeconfig = join(directory, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml, { mode: 0o600 });
  const options: KubectlOptions = { kubeconfig, cacheDir: join(directory, 'cache'), env: { HOME: directory } };
  return {
    kubeconfig,
    directory,
    run: (args, extra) => runKubectl(args, { ...options, ...extra }),
    spawn: (args, extra) => spawnKubectl(args, { ...options, ...extra }),
    dispose: () => rmSync(directory, { recursive: true, force: true }),
  };
}

let clientMinorVersion: Promise<number> | undefined;

/**
 * The kubectl client's minor version (32 for v1.32). Tests use it where kubectl's own behaviour changed:
 * WebSocket exec (1.30+), WebSocket port-forward (1.31+), server-side field validation (1.25+).
 */
export function kubectlMinorVersion(): Promise<number> {
  clientMinorVersion ??= new Promise((resolve, reject) => {
    const child = spawn(KUBECTL_BINARY, ['version', '--client', '-o', 'json']);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const minor = Number.parseInt(
        (JSON.parse(stdout) as { clientVersion?: { minor?: string } }).clientVersion?.minor ?? '',
        10,
      );
      if (Number.isNaN(minor)) reject(new Error(`cannot read the kubectl client version from: ${stdout}`));
      else resolve(minor);
    });
  });
  return clientMinorVersion;
}
