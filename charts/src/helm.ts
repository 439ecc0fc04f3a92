// The real helm (built by scripts/install-test-tools.sh) as the chart tests use it: `helm template` into
// typed objects, and any other helm command with its output or an error carrying helm's own message.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { requireTool } from '@isd/test-support';

/** One rendered Kubernetes object and the template file it came from. */
export interface RenderedObject {
  source: string;
  object: Record<string, unknown> & {
    apiVersion: string;
    kind: string;
    metadata: { name: string; [key: string]: unknown };
  };
}

/** The result of rendering a chart: objects in helm's install order plus the rendered NOTES.txt. */
export interface RenderedChart {
  objects: RenderedObject[];
  notes: string;
}

/** Release settings, as given to `helm install NAME -n NAMESPACE`. */
export interface ReleaseOptions {
  name?: string;
  namespace?: string;
  kubeVersion?: string;
}

/** A helm command that exited non-zero; the message is what helm printed (lint reports on stdout). */
export class HelmError extends Error {
  override readonly name = 'HelmError';
  constructor(
    readonly args: readonly string[],
    readonly output: string,
    readonly exitCode: number | null,
  ) {
    super(`helm ${args.join(' ')} exited ${String(exitCode)}: ${output.trim()}`);
  }
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a YAML file that must hold a mapping (values files, Chart.yaml). */
export function readYamlMapping(file: string): Record<string, unknown> {
  const parsed: unknown = YAML.parse(fs.readFileSync(file, 'utf8'));
  if (parsed === null || parsed === undefined) return {};
  if (!isMap(parsed)) throw new Error(`${file}: expected a mapping at the top level`);
  return parsed;
}

// helm keeps caches, repositories and plugins under these; a private set keeps tests off the user's.
let helmHome: string | undefined;
function helmEnvironment(kubeconfig?: string): NodeJS.ProcessEnv {
  helmHome ??= fs.mkdtempSync(path.join(os.tmpdir(), 'isd-helm-home-'));
  return {
    PATH: process.env.PATH,
    HOME: helmHome,
    HELM_CACHE_HOME: path.join(helmHome, 'cache'),
    HELM_CONFIG_HOME: path.join(helmHome, 'config'),
    HELM_DATA_HOME: path.join(helmHome, 'data'),
    // No cluster unless one is given: a command that needs one must fail, never reach ~/.kube/config.
    KUBECONFIG: kubeconfig ?? path.join(helmHome, 'no-kubeconfig'),
  };
}

export interface HelmOptions {
  kubeconfig?: string;
  /** Kills helm after this long (it is never expected to take it; two busy cores are slow). */
  timeoutMs?: number;
}

/** Runs helm with `args`; resolves with stdout, rejects with a HelmError holding stdout and stderr. */
export function helm(args: string[], options: HelmOptions = {}): Promise<string> {
  const binary = requireTool('helm');
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env: helmEnvironment(options.kubeconfig), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${options.timeoutMs ?? 120_000} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new HelmError(args, `${stdout}${stderr}`, code));
    });
  });
}

/** Writes each override object to a values file and returns `-f <file>` arguments (and a cleanup). */
export function valuesFileArgs(overrides: readonly unknown[]): { args: string[]; cleanup(): void } {
  if (!overrides.length) return { args: [], cleanup: () => undefined };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isd-helm-values-'));
  const args = overrides.flatMap((override, index) => {
    const file = path.join(dir, `values-${index}.yaml`);
    // JSON is YAML, and keeps null (which deletes a default in helm) and every type exactly.
    fs.writeFileSync(file, JSON.stringify(override));
    return ['-f', file];
  });
  return { args, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Splits helm's manifest output into objects, taking each one's template from its `# Source:` line. */
export function parseManifests(manifest: string): RenderedObject[] {
  const objects: RenderedObject[] = [];
  // Kubernetes reads manifests with YAML 1.1 rules (go-yaml): `0400` is octal, `yes`/`on` are booleans.
  for (const document of YAML.parseAllDocuments(manifest, { version: '1.1' })) {
    if (document.errors.length) throw new Error(`helm rendered invalid YAML: ${document.errors[0]?.message ?? ''}`);
    const object: unknown = document.toJSON();
    if (object === null || object === undefined) continue;
    const source = /Source: (\S+)/.exec(document.commentBefore ?? '')?.[1] ?? '';
    if (
      !isMap(object) ||
      typeof object.kind !== 'string' ||
      typeof object.apiVersion !== 'string' ||
      !isMap(object.metadata)
    ) {
      throw new Error(`${source}: rendered a document that is not a Kubernetes object`);
    }
    objects.push({ source, object: object as RenderedObject['object'] });
  }
  return objects;
}

/**
 * `helm install NAME DIR -n NS -f <each override> --dry-run=client -o json`: renders the chart with the real
 * helm (values merged and checked against values.schema.json by helm) and returns the objects and NOTES.
 * A helm failure (schema, `required`, `fail`, a template error) rejects with a HelmError.
 */
export async function renderChart(
  chartDir: string,
  overrides: readonly unknown[] = [],
  release: ReleaseOptions = {},
): Promise<RenderedChart> {
  const values = valuesFileArgs(overrides);
  try {
    const output = await helm([
      'install',
      release.name ?? 'isd',
      chartDir,
      '--namespace',
      release.namespace ?? 'isd',
      '--dry-run=client',
      '--output',
      'json',
      ...(release.kubeVersion ? ['--kube-version', release.kubeVersion] : []),
      ...values.args,
    ]);
    const result = JSON.parse(output) as { manifest?: string; info?: { notes?: string } };
    return { objects: parseManifests(result.manifest ?? ''), notes: result.info?.notes ?? '' };
  } finally {
    values.cleanup();
  }
}
