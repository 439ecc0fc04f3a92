// Loads a folder of .rego files as policies: `a/b.rego` (+ `a/b_test.rego`) becomes policy `a.b`.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { RegoVersion } from '@isd/rego';
import type { PolicyService } from '../policy-service';
import type { PolicyModule, PolicyOrigin, PolicyStore } from '../store/policy-store';

/** What a load did. */
export interface LoadReport {
  saved: string[];
  unchanged: string[];
  removed: string[];
  failed: Array<{ name: string; error: string }>;
}

/** A policy read from files, before saving. */
export interface PolicyFiles {
  name: string;
  modules: PolicyModule[];
  files: string[];
}

const MAX_FILES = 5_000;
const MAX_FILE_BYTES = 1024 * 1024;

/** Policy name of a file path relative to the root: folders and file joined by dots, other characters as `-`. */
export function policyNameFor(relativePath: string): string {
  return relativePath
    .replace(/\.rego$/, '')
    .split(/[\\/]/)
    .map((part) => part.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || '_')
    .join('.');
}

async function walk(root: string, relative: string, out: string[]): Promise<void> {
  const entries = await fs.readdir(path.join(root, relative), { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const child = path.join(relative, entry.name);
    if (entry.isDirectory()) await walk(root, child, out);
    else if (entry.isFile() && entry.name.endsWith('.rego')) {
      if (out.length >= MAX_FILES) throw new Error(`more than ${MAX_FILES} .rego files under ${root}`);
      out.push(child);
    }
  }
}

/** Reads the policies of a folder: each `x.rego` with its `x_test.rego`; a lone test file is its own policy. */
export async function readPolicyFolder(root: string): Promise<PolicyFiles[]> {
  const files: string[] = [];
  await walk(root, '', files);
  const byName = new Map<string, PolicyFiles>();
  const present = new Set(files);
  for (const file of files) {
    const base =
      file.endsWith('_test.rego') && present.has(file.replace(/_test\.rego$/, '.rego'))
        ? file.replace(/_test\.rego$/, '.rego')
        : file;
    const name = policyNameFor(base);
    const stat = await fs.stat(path.join(root, file));
    if (stat.size > MAX_FILE_BYTES) throw new Error(`${file} is larger than ${MAX_FILE_BYTES} bytes`);
    const source = await fs.readFile(path.join(root, file), 'utf8');
    const entry = byName.get(name) ?? { name, modules: [], files: [] };
    entry.modules.push({ name: path.basename(file), source });
    entry.files.push(file);
    byName.set(name, entry);
  }
  return [...byName.values()];
}

/** OPA bundle manifest's `rego_version` (0 or 1) at the folder root, if any. */
export async function manifestRegoVersion(root: string): Promise<RegoVersion | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(root, '.manifest'), 'utf8');
  } catch {
    return undefined;
  }
  const manifest = JSON.parse(text) as { rego_version?: unknown };
  if (manifest.rego_version === 0) return 'v0';
  if (manifest.rego_version === 1) return 'v1';
  return undefined;
}

/**
 * Saves every policy of a folder (each tested; a failing one is reported and the others still load) and
 * deletes the policies of the same origin whose files are gone.
 */
export async function loadPolicyFolder(
  service: PolicyService,
  store: PolicyStore,
  root: string,
  origin: Exclude<PolicyOrigin, 'api'>,
  originRef: (files: string[]) => string,
): Promise<LoadReport> {
  const regoVersion = await manifestRegoVersion(root);
  const policies = await readPolicyFolder(root);
  const report: LoadReport = { saved: [], unchanged: [], removed: [], failed: [] };
  // Libraries first is not knowable in general; retrying the failures once lets a policy that imports
  // another one from the same folder load after it.
  let pending = policies;
  for (let pass = 0; pass < 2 && pending.length; pass++) {
    const retry: PolicyFiles[] = [];
    report.failed = [];
    for (const policy of pending) {
      try {
        const result = await service.save({
          name: policy.name,
          regoVersion,
          modules: policy.modules,
          origin,
          originRef: originRef(policy.files),
        });
        (result.created ? report.saved : report.unchanged).push(policy.name);
      } catch (error) {
        retry.push(policy);
        report.failed.push({ name: policy.name, error: (error as Error).message });
      }
    }
    pending = retry;
  }
  const names = new Set(policies.map((policy) => policy.name));
  for (const live of await store.origins()) {
    if (live.origin === origin && !names.has(live.name)) {
      await service.remove(live.name).catch(() => undefined);
      report.removed.push(live.name);
    }
  }
  return report;
}
