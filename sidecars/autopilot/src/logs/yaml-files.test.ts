import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseLogTemplateYaml, readLogTemplateFiles } from './yaml-files';

describe('log template YAML files', () => {
  it('reads every *.yml / *.yaml of a folder in name order, with defaults filled', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-templates-'));
    try {
      fs.writeFileSync(path.join(dir, 'b.yaml'), 'name: b\nprovider: logs\nindex: app-*\n');
      fs.writeFileSync(path.join(dir, 'a.yml'), 'name: a\nprovider: loki\nquery: \'{${scope}} |= "ERROR"\'\n');
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a template');
      const files = readLogTemplateFiles(dir);
      expect(files.map((f) => path.basename(f.file))).toEqual(['a.yml', 'b.yaml']);
      expect(files[0]!.template).toMatchObject({ name: 'a', query: '{${scope}} |= "ERROR"', sensitivity: 'high' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file and the field of a bad template', () => {
    expect(() => parseLogTemplateYaml('name: x\nprovider: p\nsensitivity: extreme\n', 'x.yml')).toThrow(
      /^x\.yml: .*sensitivity/,
    );
    expect(() => parseLogTemplateYaml('name: [unclosed', 'y.yml')).toThrow(/^y\.yml: not valid YAML/);
  });
});
