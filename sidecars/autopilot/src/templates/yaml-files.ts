// Templates kept as YAML files (GitOps): every *.yml / *.yaml in a folder is one template; a file whose
// content changed becomes a new version at start-up, an unchanged one is a no-op.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { InputError } from '@isd/kit';
import { parseTemplate, type Template } from './template';

/** One template file read and validated. */
export interface TemplateFile {
  file: string;
  template: Template;
}

/** Parses one YAML document as a template; errors name the file and the field. */
export function parseTemplateYaml(text: string, file: string): Template {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid YAML: ${(error as Error).message}`, {
      code: 'invalid_yaml',
      issues: [{ path: file, message: (error as Error).message }],
    });
  }
  try {
    return parseTemplate(document);
  } catch (error) {
    if (error instanceof InputError) {
      throw new InputError(`${file}: ${error.message}`, {
        code: error.code,
        issues: error.issues.map((issue) => ({ ...issue, path: `${file}:${issue.path}` })),
      });
    }
    throw error;
  }
}

/** Reads every template file of a folder (sorted by name); the first bad file stops with its error. */
export function readTemplateFiles(directory: string): TemplateFile[] {
  const files = fs
    .readdirSync(directory)
    .filter((name) => /\.ya?ml$/i.test(name))
    .sort();
  return files.map((name) => {
    const file = path.join(directory, name);
    return { file, template: parseTemplateYaml(fs.readFileSync(file, 'utf8'), file) };
  });
}
