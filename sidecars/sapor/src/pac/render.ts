// Renders a pipelines-as-code tree (docs/pipelines-as-code.md) into Spinnaker pipeline configs.
// The tree comes from a repository an attacker may control, so rendering is data only: no code, no
// file access (modules are looked up by name in the tree already read), and every size, depth and
// node count is bounded. Every problem names the file, the line when known, the path and what is wrong.
import { LineCounter, parseDocument } from 'yaml';
import { parseJson } from '@isd/kit';

/** One problem with the definitions. */
export interface DefinitionError {
  file: string;
  line?: number;
  column?: number;
  /** JSON path inside the file, e.g. `$.stages[1].$with.account`. */
  path?: string;
  message: string;
}

/** A pipeline rendered from one file. */
export interface RenderedPipeline {
  application: string;
  name: string;
  file: string;
  pipeline: Record<string, unknown>;
}

/** How much a tree may hold and expand to. */
export interface RenderLimits {
  maxFileBytes: number;
  maxFiles: number;
  /** Nesting of module includes. */
  maxDepth: number;
  /** Values a single pipeline may expand to (stops exponential module fan-out). */
  maxNodes: number;
  /** Serialized size of one rendered pipeline. */
  maxPipelineBytes: number;
  /** Values all pipelines of a tree may expand to together (rendering costs about a microsecond each). */
  maxTreeNodes: number;
  /** Characters of text all pipelines of a tree may expand to together (they are held in memory at once). */
  maxTreeBytes: number;
}

export const DEFAULT_RENDER_LIMITS: RenderLimits = {
  maxFileBytes: 256 * 1024,
  maxFiles: 2_000,
  maxDepth: 10,
  maxNodes: 100_000,
  maxPipelineBytes: 1024 * 1024,
  maxTreeNodes: 1_000_000,
  maxTreeBytes: 32 * 1024 * 1024,
};

export const DEFINITION_EXTENSIONS = ['.json', '.yml', '.yaml'];
const MODULES_FOLDER = 'modules';
const APPLICATION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;
/** `\{{` is a literal `{{`; `{{ name }}` a parameter; any other `{{` is left as text. */
const REFERENCE = /\\\{\{|\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const WHOLE_REFERENCE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;
/** Fields Front50 owns: a definition may not set them (an `id` could overwrite another application's pipeline). */
export const SERVER_FIELDS = ['id', 'updateTs', 'lastModifiedBy', 'createTs'];

type Json = unknown;
type Segment = string | number;

interface Module {
  name: string;
  file: string;
  parameters: Map<string, { required: boolean; default?: Json }>;
  template: Json;
}

/** The whole tree expands past a tree limit: no pipeline of it is rendered. */
class TreeLimitProblem extends Error {}

/** A problem found while rendering; carries where it is. */
class RenderProblem extends Error {
  constructor(
    readonly file: string,
    readonly path: Segment[],
    message: string,
  ) {
    super(message);
  }
}

/** True for a file the renderer reads (by extension; hidden files and folders never). */
export function isDefinitionFile(file: string): boolean {
  if (file.split('/').some((part) => part.startsWith('.'))) return false;
  return DEFINITION_EXTENSIONS.some((extension) => file.toLowerCase().endsWith(extension));
}

function formatPath(path: Segment[]): string {
  return (
    '$' +
    path
      .map((segment) =>
        typeof segment === 'number'
          ? `[${segment}]`
          : /^[\w$]+$/.test(segment)
            ? `.${segment}`
            : `[${JSON.stringify(segment)}]`,
      )
      .join('')
  );
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one file (JSON strictly, YAML with aliases bounded and no custom tags); errors carry the line. */
function parseFile(file: string, text: string): Json {
  if (file.toLowerCase().endsWith('.json')) {
    try {
      return parseJson(text) as Json;
    } catch (error) {
      // Node's message has no position; the YAML parser (JSON is YAML) finds the line when it can.
      const located = parseDocument(text, { lineCounter: new LineCounter() }).errors[0]?.linePos?.[0];
      const at = located ? { line: located.line, column: located.col } : undefined;
      throw Object.assign(new RenderProblem(file, [], `not valid JSON: ${(error as Error).message.split('\n')[0]}`), {
        at,
      });
    }
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true, schema: 'core' });
  const problem = document.errors[0];
  if (problem) {
    const at = problem.linePos?.[0];
    throw Object.assign(
      new RenderProblem(file, [], `not valid YAML: ${problem.message.split('\n')[0]!.replace(/:$/, '')}`),
      {
        at: at ? { line: at.line, column: at.col } : undefined,
      },
    );
  }
  try {
    return document.toJS({ maxAliasCount: 100 }) as Json;
  } catch (error) {
    throw new RenderProblem(file, [], `not valid YAML: ${(error as Error).message}`);
  }
}

/** The line of `path` inside `text` (JSON is YAML, so one parser finds both), when it can be found. */
function lineOf(text: string, path: Segment[]): { line: number; column: number } | undefined {
  try {
    const lineCounter = new LineCounter();
    const document = parseDocument(text, { lineCounter });
    for (let depth = path.length; depth >= 0; depth--) {
      const node = document.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) {
        const at = lineCounter.linePos(node.range[0]);
        return { line: at.line, column: at.col };
      }
    }
  } catch {
    // no line then
  }
  return undefined;
}

/** Renders every pipeline of the tree; a bad file is reported and the others still render. */
export function renderDefinitions(
  files: ReadonlyMap<string, string>,
  limits: RenderLimits = DEFAULT_RENDER_LIMITS,
): { pipelines: RenderedPipeline[]; errors: DefinitionError[] } {
  const errors: DefinitionError[] = [];
  const report = (error: unknown, fallbackFile: string) => {
    if (error instanceof RenderProblem) {
      const at =
        (error as RenderProblem & { at?: { line: number; column: number } }).at ??
        (files.has(error.file) ? lineOf(files.get(error.file)!, error.path) : undefined);
      errors.push({
        file: error.file,
        ...(at ? { line: at.line, column: at.column } : {}),
        ...(error.path.length ? { path: formatPath(error.path) } : {}),
        message: error.message,
      });
    } else errors.push({ file: fallbackFile, message: (error as Error).message });
  };

  const definitionFiles = [...files.keys()].filter(isDefinitionFile).sort();
  if (definitionFiles.length > limits.maxFiles)
    return {
      pipelines: [],
      errors: [
        { file: '.', message: `the tree has ${definitionFiles.length} definition files; at most ${limits.maxFiles}` },
      ],
    };

  const modules = new Map<string, Module>();
  const pipelineFiles: Array<{ file: string; application: string }> = [];
  for (const file of definitionFiles) {
    const text = files.get(file)!;
    if (Buffer.byteLength(text) > limits.maxFileBytes) {
      errors.push({ file, message: `the file is larger than ${limits.maxFileBytes} bytes` });
      continue;
    }
    const parts = file.split('/');
    if (parts[0] === MODULES_FOLDER && parts.length > 1) {
      try {
        const module = readModule(
          file,
          parts
            .slice(1)
            .join('/')
            .replace(/\.(json|ya?ml)$/i, ''),
          parseFile(file, text),
        );
        modules.set(module.name, module);
      } catch (error) {
        report(error, file);
      }
    } else if (parts.length === 2) {
      if (!APPLICATION_NAME.test(parts[0]!))
        errors.push({ file, message: `folder ${JSON.stringify(parts[0])} is not a valid application name` });
      else pipelineFiles.push({ file, application: parts[0]! });
    } else if (parts.length > 2) {
      errors.push({ file, message: 'pipeline files live directly in their application folder (no sub-folders)' });
    }
    // Definition files at the root (CI config and the like) are not pipelines.
  }

  const pipelines: RenderedPipeline[] = [];
  // Failed pipelines count too: each is paid for up to where it stopped.
  const treeBudget = { nodes: limits.maxTreeNodes, chars: limits.maxTreeBytes };
  for (const { file, application } of pipelineFiles) {
    try {
      const source = parseFile(file, files.get(file)!);
      const budget = { nodes: limits.maxNodes, chars: limits.maxPipelineBytes };
      const context = { file, path: [], scope: new Map(), chain: [], modules, limits, budget, treeBudget };
      pipelines.push(checkPipeline(file, application, render(source, context), limits));
    } catch (error) {
      // Half a tree is not what the repository says: nothing of it is synced or shown.
      if (error instanceof TreeLimitProblem) return { pipelines: [], errors: [{ file: '.', message: error.message }] };
      report(error, file);
    }
  }

  // Front50 refuses two pipelines of one application whose names differ only in case.
  const byName = new Map<string, RenderedPipeline[]>();
  for (const pipeline of pipelines) {
    const key = `${pipeline.application.toLowerCase()}\u0000${pipeline.name.toLowerCase()}`;
    byName.set(key, [...(byName.get(key) ?? []), pipeline]);
  }
  const duplicated = new Set<RenderedPipeline>();
  for (const group of byName.values()) {
    if (group.length < 2) continue;
    for (const pipeline of group) {
      duplicated.add(pipeline);
      errors.push({
        file: pipeline.file,
        path: '$.name',
        message: `pipeline ${JSON.stringify(pipeline.name)} of ${pipeline.application} is also defined in ${group
          .filter((other) => other !== pipeline)
          .map((other) => other.file)
          .join(', ')}`,
      });
    }
  }
  return { pipelines: pipelines.filter((pipeline) => !duplicated.has(pipeline)), errors };
}

function readModule(file: string, name: string, source: Json): Module {
  if (!isObject(source))
    throw new RenderProblem(file, [], 'a module is an object with `template` and optional `parameters`');
  for (const key of Object.keys(source))
    if (key !== 'template' && key !== 'parameters' && key !== 'description')
      throw new RenderProblem(
        file,
        [key],
        `unknown key ${JSON.stringify(key)}; a module has template, parameters, description`,
      );
  if (!('template' in source)) throw new RenderProblem(file, [], 'a module needs a `template`');
  const parameters = new Map<string, { required: boolean; default?: Json }>();
  const declared = source.parameters ?? {};
  if (!isObject(declared))
    throw new RenderProblem(file, ['parameters'], 'parameters is an object: name → {default?, description?}');
  for (const [parameter, spec] of Object.entries(declared)) {
    if (!PARAMETER_NAME.test(parameter))
      throw new RenderProblem(
        file,
        ['parameters', parameter],
        'a parameter name is letters, digits and _, not starting with a digit',
      );
    if (spec !== null && !isObject(spec))
      throw new RenderProblem(
        file,
        ['parameters', parameter],
        'a parameter is {} (required), or {default: …, description: …}',
      );
    for (const key of Object.keys(spec ?? {}))
      if (key !== 'default' && key !== 'description')
        throw new RenderProblem(
          file,
          ['parameters', parameter, key],
          `unknown key ${JSON.stringify(key)}; expected default or description`,
        );
    parameters.set(
      parameter,
      spec && 'default' in spec ? { required: false, default: spec.default } : { required: true },
    );
  }
  return { name, file, parameters, template: source.template };
}

interface RenderContext {
  file: string;
  path: Segment[];
  scope: ReadonlyMap<string, Json>;
  /** Module names being expanded, outermost first (cycle detection and depth). */
  chain: string[];
  modules: ReadonlyMap<string, Module>;
  limits: RenderLimits;
  /**
   * What the pipeline may still expand to: values, and characters of strings and keys. A parameter's value is
   * shared, not copied, where it is referenced, so each reference pays for all of it again: otherwise a string
   * doubled through nested modules, or an object referenced a thousand times, costs nothing here and
   * gigabytes once serialized.
   */
  budget: { nodes: number; chars: number };
  /** The same, for every pipeline of the tree together. */
  treeBudget: { nodes: number; chars: number };
}

function at(context: RenderContext, segment: Segment): RenderContext {
  return { ...context, path: [...context.path, segment] };
}

function spend(context: RenderContext, nodes: number, chars = 0): void {
  context.budget.nodes -= nodes;
  context.budget.chars -= chars;
  context.treeBudget.nodes -= nodes;
  context.treeBudget.chars -= chars;
  if (context.treeBudget.nodes < 0)
    throw new TreeLimitProblem(
      `the tree's pipelines expand to more than ${context.limits.maxTreeNodes} values together (pipelinesAsCode.limits.maxTreeNodes)`,
    );
  if (context.treeBudget.chars < 0)
    throw new TreeLimitProblem(
      `the tree's pipelines expand to more than ${context.limits.maxTreeBytes} characters of text together (pipelinesAsCode.limits.maxTreeBytes)`,
    );
  if (context.budget.nodes < 0)
    throw new RenderProblem(
      context.file,
      context.path,
      `the pipeline expands to more than ${context.limits.maxNodes} values`,
    );
  if (context.budget.chars < 0)
    throw new RenderProblem(
      context.file,
      context.path,
      `the pipeline expands to more than ${context.limits.maxPipelineBytes} characters of text`,
    );
}

/** Values and characters (of strings and keys) in an already rendered value. */
function sizeOf(value: Json): { nodes: number; chars: number } {
  const size = { nodes: 0, chars: 0 };
  const visit = (item: Json): void => {
    size.nodes++;
    if (typeof item === 'string') size.chars += item.length;
    else if (Array.isArray(item)) item.forEach(visit);
    else if (isObject(item))
      for (const [key, child] of Object.entries(item)) {
        size.chars += key.length;
        visit(child);
      }
  };
  visit(value);
  return size;
}

function render(value: Json, context: RenderContext): Json {
  if (typeof value === 'string') return substitute(value, context);
  spend(context, 1);
  if (Array.isArray(value)) {
    const out: Json[] = [];
    value.forEach((item, index) => {
      const itemContext = at(context, index);
      if (isObject(item) && '$module' in item && item.$spread === true) {
        const expanded = expandModule(item, itemContext);
        if (!Array.isArray(expanded))
          throw new RenderProblem(
            itemContext.file,
            itemContext.path,
            `$spread needs module ${String(item.$module)} to render a list`,
          );
        out.push(...expanded);
      } else out.push(render(item, itemContext));
    });
    return out;
  }
  if (isObject(value)) {
    if ('$module' in value) return expandModule(value, context);
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) {
      spend(context, 0, key.length);
      out[key] = render(item, at(context, key));
    }
    return out;
  }
  return value;
}

function substitute(text: string, context: RenderContext): Json {
  const whole = WHOLE_REFERENCE.exec(text);
  if (whole) {
    const value = lookup(whole[1]!, context);
    const size = sizeOf(value);
    spend(context, size.nodes, size.chars);
    return value;
  }
  // The pieces are paid for before they are joined, so a string is never built past the budget.
  const pieces: string[] = [];
  const add = (piece: string) => {
    spend(context, 0, piece.length);
    pieces.push(piece);
  };
  spend(context, 1);
  let last = 0;
  for (const match of text.matchAll(REFERENCE)) {
    add(text.slice(last, match.index));
    last = match.index + match[0].length;
    const name = match[1];
    if (name === undefined) {
      add('{{');
      continue;
    }
    const value = lookup(name, context);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      throw new RenderProblem(
        context.file,
        context.path,
        `parameter ${name} is ${value === null ? 'null' : Array.isArray(value) ? 'a list' : 'an object'}; only a whole string "{{ ${name} }}" may take it`,
      );
    add(String(value));
  }
  add(text.slice(last));
  return pieces.join('');
}

function lookup(name: string, context: RenderContext): Json {
  if (!context.scope.has(name))
    throw new RenderProblem(
      context.file,
      context.path,
      context.chain.length
        ? `unknown parameter ${name} (module ${context.chain.at(-1)} declares ${[...context.scope.keys()].join(', ') || 'none'})`
        : `unknown parameter ${name}: a pipeline file has no parameters (write \\{{ for a literal {{)`,
    );
  return context.scope.get(name);
}

function expandModule(reference: Record<string, Json>, context: RenderContext): Json {
  for (const key of Object.keys(reference))
    if (key !== '$module' && key !== '$with' && key !== '$spread')
      throw new RenderProblem(
        context.file,
        [...context.path, key],
        `unknown key ${JSON.stringify(key)} beside $module; expected $with or $spread`,
      );
  const name = reference.$module;
  if (typeof name !== 'string')
    throw new RenderProblem(context.file, [...context.path, '$module'], '$module is a module name');
  const module = context.modules.get(name);
  if (!module)
    throw new RenderProblem(
      context.file,
      [...context.path, '$module'],
      `no module ${JSON.stringify(name)} (modules are files under modules/, named by their path without extension)`,
    );
  if (context.chain.includes(name))
    throw new RenderProblem(
      context.file,
      [...context.path, '$module'],
      `module cycle: ${[...context.chain, name].join(' → ')}`,
    );
  if (context.chain.length >= context.limits.maxDepth)
    throw new RenderProblem(
      context.file,
      [...context.path, '$module'],
      `modules nest deeper than ${context.limits.maxDepth}`,
    );
  const given = reference.$with ?? {};
  if (!isObject(given))
    throw new RenderProblem(context.file, [...context.path, '$with'], '$with is an object of parameters');
  const scope = new Map<string, Json>();
  for (const [parameter, value] of Object.entries(given)) {
    if (!module.parameters.has(parameter))
      throw new RenderProblem(
        context.file,
        [...context.path, '$with', parameter],
        `module ${name} has no parameter ${parameter} (it has ${[...module.parameters.keys()].join(', ') || 'none'})`,
      );
    // Arguments are rendered where they are written; their values are not scanned again in the module.
    scope.set(parameter, render(value, at(at(context, '$with'), parameter)));
  }
  for (const [parameter, spec] of module.parameters) {
    if (scope.has(parameter)) continue;
    if (spec.required)
      throw new RenderProblem(context.file, [...context.path, '$with'], `module ${name} needs parameter ${parameter}`);
    scope.set(parameter, spec.default);
  }
  return render(module.template, {
    ...context,
    file: module.file,
    path: ['template'],
    scope,
    chain: [...context.chain, name],
  });
}

function checkPipeline(file: string, application: string, rendered: Json, limits: RenderLimits): RenderedPipeline {
  if (!isObject(rendered)) throw new RenderProblem(file, [], 'a pipeline file renders to an object (one pipeline)');
  if (typeof rendered.name !== 'string' || rendered.name.trim() === '')
    throw new RenderProblem(file, ['name'], 'a pipeline needs a non-empty string name');
  if (rendered.application !== undefined && rendered.application !== application)
    throw new RenderProblem(
      file,
      ['application'],
      `application is ${JSON.stringify(rendered.application)} but the file is in folder ${application}; leave it out or make them equal`,
    );
  for (const field of SERVER_FIELDS)
    if (field in rendered)
      throw new RenderProblem(file, [field], `${field} is set by Spinnaker; a definition may not set it`);
  const pipeline = { ...rendered, application };
  const size = Buffer.byteLength(JSON.stringify(pipeline));
  if (size > limits.maxPipelineBytes)
    throw new RenderProblem(file, [], `the rendered pipeline is ${size} bytes; at most ${limits.maxPipelineBytes}`);
  return { application, name: rendered.name, file, pipeline };
}
