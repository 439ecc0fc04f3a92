// yaml.marshal writes what the real `opa` writes (go-yaml v2 through sigs.k8s.io/yaml): quoting of strings
// YAML 1.1 would misread, indicators, tabs and escapes, block scalars, natural key order, numbers.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireTool } from '@isd/test-support';
import { compile } from '../policy';
import { goYamlKeyLess } from './yaml-marshal';

const values = [
  '["yes", "no", "on", "off", "y", "n", "Yes", "NO", "true", "null", "~", "1", "1.5", "0x1F", "0o17", "017"]',
  '["1_000", "1:20", "2026-01-02", "2026-01-02T10:00:00Z", ".inf", ".NaN", "-", "a: b", "#x", "c#", "c #d"]',
  '["  lead", "x ", "", "@at", "`b", "%p", "!t", "&a", "*a", "|", ">", "[a]", "{a}", "a,b", "?q", "---", "- a"]',
  '["tab\\there", "é", "😀", "bell\\u0007", "nbsp\\u00a0x", "ctl\\u001f", "it\'s", "x:", "k: v"]',
  '"long string with many words that goes well beyond eighty characters because it is long enough to wrap"',
  '["multi\\nline\\n", "trailing\\n\\n", "\\n", " lead\\nx", "a\\tb\\nc", "x \\ny", "a\\n b", "a \\n", "x\\r\\ny"]',
  '"multi\\nline"',
  '"plain"',
  '[12, 1.5, -2.25, 1234567.5, 100000.5, 0.00001, 0.0001, 1.5e300, 18446744073709551615, 18446744073709551616]',
  '[-9223372036854775808, -9223372036854775809, 100000000000000000000]',
  '[true, false, null, [], {}, {1, 3, 2}]',
  '[[1, [2, 3]], [], {}, [{"a": 1, "b": [1, {"c": "x\\ny"}]}], [[[]]]]',
  '{"a10": 1, "a9": 2, "a09": 3, "a1b": 4, "A": 5, "_x": 6, "a0": 7, "a00": 8, "a01": 9, "b2c10": 10, "b2c9": 11}',
  '{"é1": 1, "😀": 2, "ｚ": 3, "1": 4, "": 5, "x y": 6, "yes": 7, "0x10": 8, "\'q\'": 9, "#c": 10, "tab\\tkey": 11}',
  '{"multi\\nkey": 1, "a,b": 2, "- a": 3, "list": [{"x": {"y": [1]}}, "s"], "nested": {"deep": {"deeper": {}}}}',
  '{1: "number key", [1]: "array key"}',
];

function module(): string {
  return `package t\n\n${values.map((value, i) => `r${i} := yaml.marshal(${value})`).join('\n')}\n`;
}

describe('yaml.marshal', () => {
  it("gives opa's text", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rego-yaml-'));
    try {
      fs.writeFileSync(path.join(dir, 't.rego'), module());
      const output = JSON.parse(
        execFileSync(requireTool('opa'), ['eval', '--format', 'json', '--data', path.join(dir, 't.rego'), 'data.t'], {
          encoding: 'utf8',
        }),
      ) as { result: Array<{ expressions: Array<{ value: Record<string, unknown> }> }> };
      const expected = output.result[0]?.expressions[0]?.value ?? {};
      const actual = compile([{ name: 't.rego', source: module() }]).evaluate('data.t') as Record<string, unknown>;
      const differences = values
        .map((value, i) => ({ value, opa: expected[`r${i}`], ours: actual[`r${i}`] }))
        .filter(({ opa, ours }) => opa !== ours);
      expect(differences).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('orders keys naturally, numbers by value and letters before other characters', () => {
    const sorted = ['b', 'a10', 'a9', 'a', '_', '1', '10', '9', 'A', 'ab'].sort((x, y) =>
      goYamlKeyLess(x, y) ? -1 : goYamlKeyLess(y, x) ? 1 : 0,
    );
    expect(sorted).toEqual(['_', '1', '9', '10', 'A', 'a', 'a9', 'a10', 'ab', 'b']);
  });
});
