import fs from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';

/** A configuration problem found at start-up; the message is one line naming the key. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Where configuration comes from: an optional YAML file and the environment. */
export interface ConfigSources {
  /** Path of a YAML file; absent means defaults plus environment only. */
  file?: string;
  /** Environment variables, usually `process.env`. */
  env: Record<string, string | undefined>;
  /** Prefix of override variables: `ISD_SERVER__PORT=9000` sets `server.port` for prefix `ISD_`. */
  envPrefix: string;
}

/**
 * Loads configuration: YAML file, then environment overrides, validated by the schema.
 * Pure apart from reading the file. Env override names are the key path in upper snake case with
 * `__` between levels (`database.poolSize` → `ISD_DATABASE__POOL_SIZE`); values are parsed as YAML
 * scalars, so `8096`, `true` and `[a, b]` have their natural types.
 */
export function loadConfig<Schema extends z.ZodType>(schema: Schema, sources: ConfigSources): z.infer<Schema> {
  const fromFile = sources.file ? readYamlFile(sources.file) : {};
  const { merged, origins } = applyEnvOverrides(fromFile, sources.env, sources.envPrefix);
  const result = schema.safeParse(merged);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new ConfigError('config: invalid');
  throw new ConfigError(describeIssue(missingLeaf(schema, merged, issue), merged, origins, sources.file));
}

/**
 * For a whole section that is missing (`auth`), the first required key inside it (`auth.serviceToken`):
 * the key to set. Found by parsing again with the section present but empty.
 */
function missingLeaf(schema: z.ZodType, merged: Record<string, unknown>, issue: z.core.$ZodIssue): z.core.$ZodIssue {
  let current = issue;
  const probe = structuredClone(merged);
  while (
    current.code === 'invalid_type' &&
    current.expected === 'object' &&
    getPath(probe, current.path) === undefined &&
    current.path.every((key) => typeof key === 'string')
  ) {
    setPath(probe, current.path as string[], {});
    const again = schema.safeParse(probe);
    const inner = again.success ? undefined : again.error.issues[0];
    if (!inner || inner.path.length <= current.path.length) break;
    if (!current.path.every((key, i) => inner.path[i] === key)) break;
    current = inner;
  }
  return current;
}

function readYamlFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`config: cannot read file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (error) {
    throw new ConfigError(`config: ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config: ${file} must hold a mapping of keys at the top level`);
  }
  return parsed as Record<string, unknown>;
}

/** Environment variable name for a key path, e.g. `['server', 'bodyLimitBytes']` → `ISD_SERVER__BODY_LIMIT_BYTES`. */
export function envNameForPath(prefix: string, path: readonly string[]): string {
  return prefix + path.map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__');
}

function applyEnvOverrides(
  base: Record<string, unknown>,
  env: Record<string, string | undefined>,
  prefix: string,
): { merged: Record<string, unknown>; origins: Map<string, string> } {
  const merged = structuredClone(base);
  const origins = new Map<string, string>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(prefix) || raw === undefined || name.length === prefix.length) continue;
    const path = name
      .slice(prefix.length)
      .split('__')
      .map((part) => part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
    setPath(merged, path, parseScalar(raw));
    origins.set(path.join('.'), name);
  }
  return { merged, origins };
}

function parseScalar(raw: string): unknown {
  try {
    return YAML.parse(raw) ?? raw;
  } catch {
    return raw;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function getPath(source: unknown, path: readonly PropertyKey[]): unknown {
  let node = source;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  merged: Record<string, unknown>,
  origins: Map<string, string>,
  file: string | undefined,
): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = [...path, issue.keys[0] ?? ''].join('.');
    return `config: unknown key ${key}${file ? ` in ${file}` : ''}`;
  }
  const key = path.join('.') || '(root)';
  const value = getPath(merged, issue.path);
  const from = origins.get(key) ? ` (from ${origins.get(key)})` : file ? ` (in ${file})` : '';
  if (value === undefined) return `config: ${key} is required but missing: ${issue.message}`;
  return `config: ${key} has value ${JSON.stringify(value)}${from}: ${issue.message}`;
}
