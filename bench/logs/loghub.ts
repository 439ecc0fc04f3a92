// Reads a folder in the Loghub-2k layout: <System>/<System>_2k.log, <System>_2k.log_structured.csv and a
// formats.json with each system's log_format and masks.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

export interface SystemFormat {
  log_format: string;
  regex: string[];
  st?: number;
  depth?: number;
}

export interface LoghubSystem {
  name: string;
  format: SystemFormat;
  logFile: string;
  /** Message part of each line, in file order. */
  contents: string[];
  /** Ground-truth template of each line. */
  templates: string[];
}

export function readFormats(dir: string): Record<string, SystemFormat> {
  const file = path.join(dir, 'formats.json');
  if (!existsSync(file)) throw new Error(`${file} not found: --data must name a Loghub-2k style folder`);
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, SystemFormat>;
}

/**
 * logpai's generate_logformat_regex: `<Field>` is a lazy named group, runs of spaces match any whitespace,
 * the rest is regex source, anchored at both ends.
 */
export function logFormatRegex(logFormat: string): { regex: RegExp; fields: string[] } {
  const fields: string[] = [];
  let source = '';
  for (const part of logFormat.split(/(<[^<>]+>)/)) {
    if (part.startsWith('<') && part.endsWith('>') && part.length > 2) {
      const name = part.slice(1, -1);
      fields.push(name);
      source += `(?<${name.replace(/[^A-Za-z0-9_]/g, '_')}>.*?)`;
    } else {
      source += part.replace(/ +/g, '\\s+');
    }
  }
  return { regex: new RegExp(`^${source}$`), fields };
}

export function extractContents(lines: readonly string[], logFormat: string): (string | undefined)[] {
  const { regex } = logFormatRegex(logFormat);
  return lines.map((line) => regex.exec(line.trim())?.groups?.Content);
}

export function readLogLines(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function readSystems(dir: string, only?: readonly string[]): LoghubSystem[] {
  const formats = readFormats(dir);
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && formats[e.name] && (!only || only.includes(e.name)))
    .map((e) => e.name)
    .sort();
  return names.map((name) => {
    const format = formats[name]!;
    const logFile = path.join(dir, name, `${name}_2k.log`);
    const lines = readLogLines(logFile);
    const contents = extractContents(lines, format.log_format);
    const rows = parse(readFileSync(path.join(dir, name, `${name}_2k.log_structured.csv`)), {
      columns: true,
      skip_empty_lines: true,
    }) as Record<string, string>[];
    if (rows.length !== lines.length)
      throw new Error(`${name}: ${lines.length} log lines but ${rows.length} ground-truth rows`);
    const unmatched = contents.findIndex((c) => c === undefined);
    if (unmatched >= 0) throw new Error(`${name}: line ${unmatched + 1} does not match log_format`);
    return {
      name,
      format,
      logFile,
      contents: contents as string[],
      templates: rows.map((r) => r.EventTemplate ?? ''),
    };
  });
}
