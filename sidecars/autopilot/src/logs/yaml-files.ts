// Log templates kept as YAML files (GitOps), read like metric template files: every *.yml / *.yaml in the
// folder is one log template; errors name the file and the field.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { InputError } from '@isd/kit';
import { parseLogTemplate, type LogTemplate } from './log-template';

export function parseLogTemplateYaml(text: string, file: string): LogTemplate {
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
    return parseLogTemplate(document);
  } catch (error) {
    if (error instanceof InputError)
      throw new InputError(`${file}: ${error.message}`, {
        code: error.code,
        issues: error.issues.map((issue) => ({ ...issue, path: `${file}:${issue.path}` })),
      });
    throw error;
  }
}

export function readLogTemplateFiles(directory: string): { file: string; template: LogTemplate }[] {
  return fs
    .readdirSync(directory)
    .filter((name) => /\.ya?ml$/i.test(name))
    .sort()
    .map((name) => {
      const file = path.join(directory, name);
      return { file, template: parseLogTemplateYaml(fs.readFileSync(file, 'utf8'), file) };
    });
}
