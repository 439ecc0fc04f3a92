// Render values: the per-installation inputs of the Spinnaker config (sidecar URLs, where the service
// token comes from, approver defaults, Deck plugin coordinates). The Helm chart maps its values onto
// this one to one. A values file is merged over the defaults (objects merge, arrays replace) and the
// result must pass the strict schema, so a typo is an error that names the field.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigSchemaError, parseWithSchema } from './spinnaker-schemas';

function isLiteralIp(hostname: string): boolean {
  return hostname.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
}

const sidecarUrl = z
  .string()
  .url()
  .refine((value) => /^https?:$/.test(new URL(value).protocol), { message: 'must be an http or https URL' })
  .refine((value) => !isLiteralIp(new URL(value).hostname), {
    message: 'must name a host, not a literal IP (Orca rejects verbatim IPs by default)',
  })
  .refine((value) => new URL(value).pathname === '/' && !new URL(value).search, {
    message: 'must be a base URL without a path or query',
  })
  .transform((value) => value.replace(/\/+$/, ''));

// `${ENV_VAR}` is resolved by Spring from the environment; `encrypted:<engine>!…` by kork-secrets.
const secretReference = z.string().regex(/^(\$\{[A-Za-z_][A-Za-z0-9_.-]*\}|encrypted:[a-z0-9]+!.+)$/, {
  message: 'must be a secret reference (${ENV_VAR} or encrypted:<engine>!…), never a literal token',
});

/** Schema of the render values; every field has a default in `values/default.yml`. */
export const renderValuesSchema = z
  .object({
    /** Base URLs Orca and Gate use to reach each sidecar. */
    sidecars: z.object({ visibility: sidecarUrl, autopilot: sidecarUrl, sapor: sidecarUrl }).strict(),
    serviceToken: z
      .object({
        /** Where Orca's token comes from: `${ENV_VAR}` or a kork `encrypted:` reference. */
        reference: secretReference,
        /** `customHeaders` (all Orca versions; token visible in stage context) or `sensitiveHeaders` (2026+). */
        placement: z.enum(['customHeaders', 'sensitiveHeaders']),
      })
      .strict(),
    approval: z
      .object({
        /** Approver groups a new approval stage starts with. */
        defaultApproverGroups: z
          .array(z.object({ name: z.string().min(1), required: z.number().int().min(1) }).strict())
          .refine((groups) => new Set(groups.map((group) => group.name)).size === groups.length, {
            message: 'group names must be unique',
          }),
        /** Approval expiry a new stage starts with; must stay below the stage timeout. */
        defaultTimeoutMs: z.number().int().positive(),
        /** Whether a new stage lets the triggering user approve. */
        defaultAllowSelfApproval: z.boolean(),
      })
      .strict(),
    verification: z
      .object({
        /** Whether a `marginal` verification fails (`terminal`) or passes (`success`) the stage. */
        marginalOutcome: z.enum(['terminal', 'success']),
      })
      .strict(),
    gateProxy: z
      .object({
        /** Gate-facing URL per sidecar when it differs from the Orca-facing one (a Gate-only listener). */
        targets: z.object({ visibility: sidecarUrl, autopilot: sidecarUrl, sapor: sidecarUrl }).partial().strict(),
        connectTimeoutMs: z.number().int().positive(),
        readTimeoutMs: z.number().int().positive(),
        writeTimeoutMs: z.number().int().positive(),
      })
      .strict(),
    deckPlugin: z
      .object({
        /** Plugin id in plugins.json / plugin-info.json. */
        id: z.string().regex(/^[A-Za-z0-9]+\.[A-Za-z0-9]+$/, 'must look like Namespace.PluginName'),
        /** Release Gate serves to Deck. */
        version: z.string().regex(/^\d+\.\d+\.\d+$/, 'must be a semantic version'),
        /** Name of the plugin repository entry. */
        repositoryName: z.string().regex(/^[A-Za-z0-9_-]+$/),
        /** URL of the plugins.json that lists the plugin's releases. */
        repositoryUrl: z.string().url(),
      })
      .strict(),
    orca: z
      .object({
        /** Lets Orca call localhost sidecars; only for local runs and tests, never in a cluster. */
        allowLocalhost: z.boolean(),
      })
      .strict(),
  })
  .strict();

/** Validated render values. */
export type RenderValues = z.infer<typeof renderValuesSchema>;

/** Path of the default values file shipped with the package. */
export const defaultValuesFile = path.join(__dirname, '..', 'values', 'default.yml');

/** Merges `override` over `base`: objects merge key by key, everything else (arrays too) replaces. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (isPlainObject(base) && isPlainObject(override)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) merged[key] = mergeValues(base[key], value);
    return merged;
  }
  return override === undefined ? base : override;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a YAML file into a mapping, with errors that name the file. */
export function readYamlMapping(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigSchemaError(file, [{ path: '', message: `cannot read: ${(error as Error).message}` }]);
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (error) {
    throw new ConfigSchemaError(file, [
      { path: '', message: `not valid YAML: ${(error as Error).message.split('\n')[0]}` },
    ]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed))
    throw new ConfigSchemaError(file, [{ path: '', message: 'must be a mapping at the top level' }]);
  return parsed;
}

/** Resolves values: the defaults, then an optional file, then in-memory overrides (tests), validated. */
export function resolveValues(options: { file?: string; overrides?: unknown } = {}): RenderValues {
  let merged: unknown = readYamlMapping(defaultValuesFile);
  if (options.file) merged = mergeValues(merged, readYamlMapping(options.file));
  if (options.overrides !== undefined) merged = mergeValues(merged, options.overrides);
  return parseWithSchema(renderValuesSchema, merged, options.file ?? 'values');
}
