import { z } from 'zod';
import { envNameForPath } from './config';

/** One documented configuration key. */
export interface ConfigKey {
  key: string;
  type: string;
  defaultValue: string;
  env: string;
  description: string;
}

interface JsonSchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  enum?: unknown[];
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  additionalProperties?: JsonSchemaNode | boolean;
}

/** Lists every leaf key of a config schema with its type, default, env variable and description. */
export function describeConfig(schema: z.ZodType, envPrefix: string): ConfigKey[] {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  const keys: ConfigKey[] = [];
  // `optionalParent`: the nearest enclosing object that may be left out; keys it requires are required
  // only when it is given, and the table says so instead of calling them required outright.
  const walk = (node: JsonSchemaNode, path: string[], required: boolean, optionalParent?: string) => {
    if (node.type === 'object' && node.properties) {
      const parent = required ? optionalParent : path.join('.');
      for (const [name, child] of Object.entries(node.properties))
        walk(child, [...path, name], (node.required ?? []).includes(name), parent);
      return;
    }
    const requiredText = optionalParent ? `**required** with \`${optionalParent}\`` : '**required**';
    keys.push({
      key: path.join('.'),
      type: typeName(node),
      defaultValue: node.default !== undefined ? JSON.stringify(node.default) : required ? requiredText : '—',
      env: envNameForPath(envPrefix, path),
      description: node.description ?? '',
    });
  };
  walk(root, [], true);
  return keys;
}

/** The keys as a Markdown table, for READMEs. */
export function configTableMarkdown(schema: z.ZodType, envPrefix: string): string {
  const rows = describeConfig(schema, envPrefix).map(
    (key) =>
      `| \`${key.key}\` | ${key.type} | ${key.defaultValue.replace(/\|/g, '\\|')} | \`${key.env}\` | ${key.description} |`,
  );
  return ['| key | type | default | environment | what it is for |', '|---|---|---|---|---|', ...rows].join('\n');
}

function typeName(node: JsonSchemaNode): string {
  if (node.enum) return node.enum.map((value) => JSON.stringify(value)).join(' \\| ');
  if (node.anyOf) return node.anyOf.map(typeName).join(' \\| ');
  if (node.type === 'array') return `${node.items ? typeName(node.items) : 'any'}[]`;
  if (node.type === 'object') return 'map';
  return Array.isArray(node.type) ? node.type.join(' \\| ') : (node.type ?? 'any');
}
