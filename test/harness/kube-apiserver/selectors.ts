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

/** Parses the field selectors every kind supports (`metadata.name`, `metadata.namespace`, with = == !=). */
export function parseFieldSelector(selector: string): (object: KubeObject) => boolean {
  const requirements = splitTopLevel(selector).map((part) => {
    const match = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!match) throw badRequest(`fieldSelector "${part}" is not a valid field selector`);
    const [, field = '', operator, value = ''] = match;
    if (field !== 'metadata.name' && field !== 'metadata.namespace') {
      throw badRequest(`fieldSelector: field label not supported: ${field}`);
    }
    const read = (object: KubeObject) =>
      (field === 'metadata.name' ? object.metadata.name : object.metadata.namespace) ?? '';
    return operator === '!='
      ? (object: KubeObject) => read(object) !== value
      : (object: KubeObject) => read(object) === value;
  });
  return (object) => requirements.every((requirement) => requirement(object));
}
