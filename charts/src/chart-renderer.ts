// What `helm template` does with a chart directory, on top of the template subset: merge values, validate
// them against values.schema.json, render every file under templates/ and split the output into YAML
// documents. Used by the chart tests because helm itself is not installed on the build machines.
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { TemplateSet, type RenderContext } from './helm-template-subset';

/** One rendered Kubernetes object and the template file it came from. */
export interface RenderedObject {
  source: string;
  object: Record<string, unknown> & {
    apiVersion: string;
    kind: string;
    metadata: { name: string; [key: string]: unknown };
  };
}

/** The result of rendering a chart: objects in file order plus the rendered NOTES.txt. */
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

/** Values problems found before rendering, like Helm's schema validation. */
export class ValuesSchemaError extends Error {
  override readonly name = 'ValuesSchemaError';
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Helm's value coalescing: maps merge key by key, anything else replaces, and null deletes a default. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (!isMap(base) || !isMap(override))
    return override === undefined ? structuredClone(base) : structuredClone(override);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else out[key] = key in out ? mergeValues(out[key], value) : structuredClone(value);
  }
  return out;
}

/** Reads a YAML file that must hold a mapping (values files, Chart.yaml). */
export function readYamlMapping(file: string): Record<string, unknown> {
  const parsed: unknown = YAML.parse(fs.readFileSync(file, 'utf8'));
  if (parsed === null || parsed === undefined) return {};
  if (!isMap(parsed)) throw new Error(`${file}: expected a mapping at the top level`);
  return parsed;
}

// Compiling a schema takes a good part of a second; the same text always compiles to the same validator.
const compiledSchemas = new Map<string, ValidateFunction>();

/** Compiles a chart's values.schema.json the way Helm applies it (formats checked, all errors reported). */
export function compileValuesSchema(chartDir: string): (values: unknown) => string[] {
  const text = fs.readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8');
  let validate = compiledSchemas.get(text);
  if (!validate) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    validate = ajv.compile(JSON.parse(text) as object);
    compiledSchemas.set(text, validate);
  }
  const compiled = validate;
  return (values) => {
    const validate = compiled;
    if (validate(values)) return [];
    return (validate.errors ?? []).map((error) => {
      const where = error.instancePath || '(root)';
      const extra = 'additionalProperty' in error.params ? `: ${String(error.params.additionalProperty)}` : '';
      return `${where}: ${error.message ?? 'invalid'}${extra}`;
    });
  };
}

/** Renders a chart directory with extra values files/objects, as `helm template NAME DIR -f ... -n NS`. */
export function renderChart(chartDir: string, overrides: unknown[] = [], release: ReleaseOptions = {}): RenderedChart {
  const chart = readYamlMapping(path.join(chartDir, 'Chart.yaml'));
  let values: unknown = readYamlMapping(path.join(chartDir, 'values.yaml'));
  for (const override of overrides) values = mergeValues(values, override);
  const problems = compileValuesSchema(chartDir)(values);
  if (problems.length)
    throw new ValuesSchemaError(`values don't meet the specifications of the schema: ${problems.join('; ')}`);

  const templatesDir = path.join(chartDir, 'templates');
  const files = fs.readdirSync(templatesDir).sort();
  const set = new TemplateSet();
  for (const file of files)
    set.add(`${String(chart.name)}/templates/${file}`, fs.readFileSync(path.join(templatesDir, file), 'utf8'));

  const [major = '1', minor = '30'] = (release.kubeVersion ?? 'v1.30.0').replace(/^v/, '').split('.');
  const context: RenderContext = {
    Values: values as Record<string, unknown>,
    Release: {
      Name: release.name ?? 'isd',
      Namespace: release.namespace ?? 'isd',
      Service: 'Helm',
      IsInstall: true,
      IsUpgrade: false,
      Revision: 1,
    },
    Chart: {
      ...chart,
      Name: String(chart.name),
      Version: String(chart.version),
      AppVersion: chart.appVersion === undefined ? undefined : String(chart.appVersion),
    },
    Capabilities: { KubeVersion: { Version: release.kubeVersion ?? 'v1.30.0', Major: major, Minor: minor } },
    Files: {
      Get(name: string): string {
        const file = path.resolve(chartDir, name);
        if (!file.startsWith(path.resolve(chartDir) + path.sep)) return '';
        return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      },
    },
  };

  const objects: RenderedObject[] = [];
  let notes = '';
  for (const file of files) {
    if (file.startsWith('_')) continue;
    const name = `${String(chart.name)}/templates/${file}`;
    const output = set.execute(name, {
      ...context,
      Template: { Name: name, BasePath: `${String(chart.name)}/templates` },
    });
    if (file === 'NOTES.txt') {
      notes = output;
      continue;
    }
    if (!/\.ya?ml$/.test(file)) continue;
    // Helm and kubectl read manifests with YAML 1.1 rules (go-yaml v2): `0400` is octal, `yes`/`on` are booleans.
    for (const document of YAML.parseAllDocuments(output, { version: '1.1' })) {
      if (document.errors.length)
        throw new Error(`${name}: rendered YAML is invalid: ${document.errors[0]?.message ?? ''}\n${output}`);
      const object: unknown = document.toJSON();
      if (object === null || object === undefined) continue;
      if (
        !isMap(object) ||
        typeof object.kind !== 'string' ||
        typeof object.apiVersion !== 'string' ||
        !isMap(object.metadata)
      ) {
        throw new Error(`${name}: rendered a document that is not a Kubernetes object`);
      }
      objects.push({ source: name, object: object as RenderedObject['object'] });
    }
  }
  return { objects, notes };
}
