import { badRequest } from './errors';
import type { KubeObject } from './resources';

type Requirement = (labels: Record<string, string>) => boolean;

// Splits on commas that are not inside a set like "in (a,b)".
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const character of selector) {
    if (character === '(') depth += 1;
    if (character === ')') depth -= 1;
    if (character === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += character;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

/** Parses a label selector (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`) into a predicate. */
export function parseLabelSelector(selector: string): (labels: Record<string, string>) => boolean {
  const requirements: Requirement[] = splitTopLevel(selector).map((part) => {
    let match = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (match) {
      const [, key = '', operator, list = ''] = match;
      const values = list.split(',').map((value) => value.trim());
      return operator === 'in'
        ? (labels) => key in labels && values.includes(labels[key] ?? '')
        : (labels) => !(key in labels) || !values.includes(labels[key] ?? '');
    }
    match = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(part);
    if (match) {
      const [, key = '', operator, value = ''] = match;
      return operator === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
    }
    match = /^(!?)([\w./-]+)$/.exec(part);
    if (match) {
      const [, negated, key = ''] = match;
      return negated ? (labels) => !(key in labels) : (labels) => key in labels;
    }
    throw badRequest(`unable to parse requirement: labelSelector "${part}" is not a valid label selector`);
  });
  return (labels) => requirements.every((requirement) => requirement(labels));
}

// Field labels the apiserver indexes beyond metadata.name/namespace, per kind (from the kinds' field
// label conversion functions); anything else is refused as the apiserver refuses it.
const KIND_FIELDS: Record<string, string[]> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.serviceAccountName', 'status.phase', 'status.podIP'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Secret: ['type'],
  Namespace: ['status.phase'],
};

function readField(object: KubeObject, field: string): string {
  let current: unknown = object;
  for (const part of field.split('.')) {
    current = current && typeof current === 'object' ? (current as Record<string, unknown>)[part] : undefined;
  }
  // `source` on events is the reporting component's name.
  if (field === 'source' && current && typeof current === 'object')
    current = (current as { component?: unknown }).component;
  return current === undefined || current === null ? '' : String(current);
}

/** Parses a field selector for one kind: `metadata.name`, `metadata.namespace` and the kind's indexed fields, with = == !=. */
export function parseFieldSelector(selector: string, kind = ''): (object: KubeObject) => boolean {
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(KIND_FIELDS[kind] ?? [])]);
  const requirements = splitTopLevel(selector).map((part) => {
    const match = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!match) throw badRequest(`fieldSelector "${part}" is not a valid field selector`);
    const [, field = '', operator, value = ''] = match;
    if (!allowed.has(field)) throw badRequest(`fieldSelector: field label not supported: ${field}`);
    return operator === '!='
      ? (object: KubeObject) => readField(object, field) !== value
      : (object: KubeObject) => readField(object, field) === value;
  });
  return (object) => requirements.every((requirement) => requirement(object));
}
