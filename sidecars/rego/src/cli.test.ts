// Runs the isd-rego command line as a process on a policy folder written by the test.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { requireTool } from '@isd/test-support';

const BIN = join(__dirname, '..', 'bin', 'isd-rego.js');

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('isd-rego', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'isd-rego-'));
    mkdirSync(join(dir, 'lib'));
    mkdirSync(join(dir, 'config'));
    writeFileSync(
      join(dir, 'lib', 'policy.rego'),
      'package lib\nallow if { input.user == data.config.admin }\nlimit := data.config.limit\n',
    );
    // Data files sit under the path of their folder: config/data.yaml is data.config.
    writeFileSync(join(dir, 'config', 'data.yaml'), 'admin: alice\nlimit: 3\n');
    writeFileSync(
      join(dir, 'lib', 'policy_test.rego'),
      `package lib
test_admin if { allow with input as {"user": "alice"} }
test_limit if { limit == 3 }
cases := [{"user": "alice", "want": true}, {"user": "bob", "want": true}]
test_users[c.user] if {
  some c in cases
  (allow == c.want) with input as {"user": c.user}
}
todo_test_later if { false }
`,
    );
    writeFileSync(join(dir, 'input.json'), '{"user": "alice"}');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('test prints failures like opa test and exits 2 when one fails', () => {
    const r = run(['test', dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('data.lib.test_users: FAIL');
    expect(r.stdout).toContain('  bob: FAIL');
    expect(r.stdout).not.toContain('test_admin');
    expect(r.stdout).toContain('data.lib.todo_test_later: SKIPPED');
    expect(r.stdout).toMatch(/PASS: 3\/5\nFAIL: 1\/5\nSKIPPED: 1\/5\n$/);
  });

  it('test -v lists passing tests; --run selects tests; all passing exits 0', () => {
    const verbose = run(['test', '-v', dir]);
    expect(verbose.stdout).toMatch(/data\.lib\.test_admin: PASS \(/);
    expect(verbose.stdout).toContain('  alice: PASS');
    const selected = run(['test', '--run', 'test_(admin|limit)', dir]);
    expect(selected.code).toBe(0);
    expect(selected.stdout).toContain('PASS: 2/2');
  });

  it('test --v0-compatible parses pre-1.0 syntax', () => {
    const v0 = mkdtempSync(join(tmpdir(), 'isd-rego-v0-'));
    try {
      writeFileSync(join(v0, 'p.rego'), 'package p\ndeny[msg] { msg := "x" }\ntest_deny { deny["x"] }\n');
      expect(run(['test', v0]).code).toBe(1);
      const r = run(['test', '--v0-compatible', v0]);
      expect({ code: r.code, out: r.stdout }).toEqual({ code: 0, out: expect.stringContaining('PASS: 1/1') });
    } finally {
      rmSync(v0, { recursive: true, force: true });
    }
  });

  it('eval prints expression values and bindings like opa eval', () => {
    const r = run(['eval', '-d', dir, '-i', join(dir, 'input.json'), 'data.lib.allow; x := data.lib.limit']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      result: [
        {
          expressions: [
            { value: true, text: 'data.lib.allow', location: { row: 1, col: 1 } },
            { value: true, text: 'x := data.lib.limit', location: { row: 1, col: 17 } },
          ],
          bindings: { x: 3 },
        },
      ],
    });
    expect(JSON.parse(run(['eval', '-d', dir, 'data.lib.allow']).stdout)).toEqual({});
  });

  it('eval values expressions as opa eval: a lone false, no false in longer or iterating queries, true for a call given its output', () => {
    const queries = [
      'data.lib.limit == 4',
      '1 != 1',
      'count([]) > 0',
      'false with input as {}',
      '[x | x := [false][_]][0]',
      'data.lib.allow; true',
      '[false, true][_]',
      'walk([false], [_, v])',
      'plus(1, 2, x)',
      'x := 1; x == 2',
    ];
    // Outside the policy folder: a JSON file in it is data.
    const bob = join(mkdtempSync(join(tmpdir(), 'isd-rego-input-')), 'bob.json');
    writeFileSync(bob, '{"user": "bob"}');
    const values = (stdout: string): unknown =>
      (
        (JSON.parse(stdout) as { result?: { expressions: { value: unknown }[]; bindings?: unknown }[] }).result ?? []
      ).map((solution) => [solution.expressions.map((expression) => expression.value), solution.bindings]);
    for (const query of queries) {
      const args = ['eval', '-d', dir, '-i', bob, query];
      const opa = execFileSync(requireTool('opa'), [...args.slice(0, 1), '--format', 'json', ...args.slice(1)], {
        encoding: 'utf8',
      });
      expect({ query, values: values(run(args).stdout) }).toEqual({ query, values: values(opa) });
    }
    expect(values(run(['eval', '-d', dir, 'data.lib.limit == 4']).stdout)).toEqual([[[false], undefined]]);
    rmSync(dirname(bob), { recursive: true, force: true });
  });

  it('check reports a compile error with file and line and exits 1', () => {
    const bad = mkdtempSync(join(tmpdir(), 'isd-rego-bad-'));
    try {
      writeFileSync(join(bad, 'bad.rego'), 'package bad\np if { x == 1 }\n');
      const r = run(['check', bad]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/bad\.rego:2: rego_unsafe_var_error: var x is unsafe/);
      expect(run(['check', dir]).code).toBe(0);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('usage mistakes exit 1 with a message', () => {
    expect(run(['lint', dir])).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown command "lint"') });
    expect(run(['eval', '--bogus', 'x'])).toMatchObject({ code: 1, stderr: expect.stringContaining("'--bogus'") });
    expect(run(['test'])).toMatchObject({ code: 1, stderr: expect.stringContaining('give a folder') });
  });

  it('reads every JSON and YAML file under its folder, as opa does, and a __proto__ key as data', () => {
    const data = mkdtempSync(join(tmpdir(), 'isd-rego-data-'));
    try {
      mkdirSync(join(data, 'teams'));
      writeFileSync(join(data, 'teams', 'roles.json'), '{"__proto__": {"admin": true}, "owners": ["ann"]}');
      writeFileSync(join(data, 'teams', 'more.yml'), 'limit: 2\n');
      writeFileSync(
        join(data, 'p.rego'),
        'package p\nadmin := data.teams.__proto__.admin\nlimit := data.teams.limit\n',
      );
      const r = run(['eval', '-d', data, 'data.p']);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout).result[0].expressions[0].value).toEqual({ admin: true, limit: 2 });
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('eval prints numbers with their text and indents values as opa eval does (the text checked against opa)', () => {
    const data = mkdtempSync(join(tmpdir(), 'isd-rego-numbers-'));
    try {
      writeFileSync(
        join(data, 'p.rego'),
        'package p\nv := {"big": 10 * 1e308 * 1e308, "lit": 1e400, "d": 10 / 3, "e": {}, "l": [2.50, set()]}\n',
      );
      const r = run(['eval', '-d', data, 'data.p.v']);
      const value = [
        '          "value": {',
        `            "big": 1${'0'.repeat(617)},`,
        '            "d": 3.3333333333333333333,',
        '            "e": {},',
        '            "l": [',
        '              2.50,',
        '              []',
        '            ],',
        '            "lit": 1e400',
        '          },',
      ].join('\n');
      expect(r.stdout).toContain(value);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
