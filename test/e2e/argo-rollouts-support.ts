// What the Argo Rollouts tests share: the manifests docs/argo-rollouts.md tells teams to copy, read from
// the doc itself, and Argo's argument substitution (utils/template ResolveQuotedArgs in argo-rollouts).
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@isd/test-support';
import { parseAllDocuments } from 'yaml';

export const ARGO_DOC = path.join(repoRoot, 'docs', 'argo-rollouts.md');

/** A Kubernetes object as the doc writes it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are free-form YAML
  [key: string]: any;
}

/** Every object in the doc's ```yaml blocks, in order. */
export function docManifests(): Manifest[] {
  const text = fs.readFileSync(ARGO_DOC, 'utf8');
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);
  return blocks.flatMap((block) =>
    parseAllDocuments(block).map((document) => {
      if (document.errors.length) throw new Error(`${ARGO_DOC}: ${document.errors[0]!.message}`);
      return document.toJS() as Manifest;
    }),
  );
}

/** The doc's object of one kind (exactly one must be there). */
export function docManifest(kind: string): Manifest {
  const found = docManifests().filter((manifest) => manifest.kind === kind);
  if (found.length !== 1) throw new Error(`${ARGO_DOC} has ${found.length} ${kind} objects, expected 1`);
  return found[0]!;
}

/**
 * Argo's substitution of `{{args.NAME}}` in a metric: the metric is marshalled to JSON, each placeholder
 * replaced by the argument's value escaped for a JSON string, and the result parsed back. An argument
 * without a value is an error, as in Argo.
 */
export function resolveArgs<T>(value: T, args: Record<string, string | undefined>): T {
  const text = JSON.stringify(value).replace(/\{\{\s*args\.([^}\s]+)\s*\}\}/g, (_placeholder, name: string) => {
    const argument = args[name];
    if (argument === undefined) throw new Error(`argument "${name}" was not supplied`);
    return JSON.stringify(argument).slice(1, -1);
  });
  return JSON.parse(text) as T;
}
