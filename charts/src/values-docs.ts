// The `## @param path description` convention (bitnami readme-generator-for-helm) read back from a
// values.yaml, so the README's parameter table is generated and every value is checked to be documented.
import YAML from 'yaml';

/** One documented value: its dotted path, its default from values.yaml and its description. */
export interface ValueParam {
  path: string;
  description: string;
  defaultValue: unknown;
}

function lookup(values: unknown, path: string): { found: boolean; value: unknown } {
  let node = values;
  for (const key of path.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !(key in node))
      return { found: false, value: undefined };
    node = (node as Record<string, unknown>)[key];
  }
  return { found: true, value: node };
}

/** Reads the `## @param` lines of a values.yaml; a param naming a key that does not exist is an error. */
export function readValueParams(valuesText: string): ValueParam[] {
  const values: unknown = YAML.parse(valuesText);
  const params: ValueParam[] = [];
  for (const match of valuesText.matchAll(/^\s*## @param (\S+) (.+)$/gm)) {
    const path = match[1] as string;
    const { found, value } = lookup(values, path);
    if (!found) throw new Error(`values.yaml: @param ${path} names no value`);
    params.push({ path, description: (match[2] as string).trim(), defaultValue: value });
  }
  return params;
}

/** Dotted paths of values.yaml leaves (and empty maps/lists) that no `@param` covers, itself or an ancestor. */
export function undocumentedValues(valuesText: string): string[] {
  const values: unknown = YAML.parse(valuesText);
  const documented = new Set(readValueParams(valuesText).map((param) => param.path));
  const missing: string[] = [];
  const walk = (node: unknown, path: string[]): void => {
    const dotted = path.join('.');
    if (path.length && documented.has(dotted)) return;
    if (typeof node === 'object' && node !== null && !Array.isArray(node) && Object.keys(node).length) {
      for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
      return;
    }
    missing.push(dotted);
  };
  walk(values, []);
  return missing;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The README parameter table: key, default (JSON) and description, in values.yaml order. */
export function valueParamsTable(valuesText: string): string {
  const rows = readValueParams(valuesText).map(
    (param) => `| \`${param.path}\` | \`${cell(JSON.stringify(param.defaultValue))}\` | ${cell(param.description)} |`,
  );
  return ['| key | default | description |', '| --- | --- | --- |', ...rows].join('\n');
}

/** Replaces the text between `<!-- values:begin -->` and `<!-- values:end -->` in a README. */
export function replaceValuesTable(readme: string, table: string): string {
  const pattern = /<!-- values:begin -->[\s\S]*?<!-- values:end -->/;
  if (!pattern.test(readme)) throw new Error('README has no <!-- values:begin --> / <!-- values:end --> markers');
  return readme.replace(pattern, `<!-- values:begin -->\n\n${table}\n\n<!-- values:end -->`);
}
