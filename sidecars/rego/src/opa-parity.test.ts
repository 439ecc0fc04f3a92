// Policies beyond OPA's conformance cases evaluated by this engine and by the real `opa` (.tools): template
// strings in function arguments, JWT headers, JSON/YAML builtins, X.509 chains, arrays and objects.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireTool } from '@isd/test-support';
import { compile } from './policy';

interface Outcome {
  value?: unknown;
  error?: string;
}

/** `data.t` of `source` as `opa eval --strict-builtin-errors` gives it: the value or the first error. */
function opaOutcome(source: string, input: unknown): Outcome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rego-parity-'));
  try {
    fs.writeFileSync(path.join(dir, 't.rego'), source);
    fs.writeFileSync(path.join(dir, 'input.json'), JSON.stringify(input));
    const args = ['eval', '--format', 'json', '--strict-builtin-errors', '-d', path.join(dir, 't.rego')];
    let stdout: string;
    try {
      stdout = execFileSync(requireTool('opa'), [...args, '-i', path.join(dir, 'input.json'), 'data.t'], {
        encoding: 'utf8',
      });
    } catch (err) {
      stdout = (err as { stdout: string }).stdout;
    }
    const out = JSON.parse(stdout) as {
      result?: Array<{ expressions: Array<{ value: unknown }> }>;
      errors?: Array<{ message: string }>;
    };
    if (out.errors?.length) return { error: out.errors[0]?.message };
    return { value: out.result?.[0]?.expressions[0]?.value };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function ourOutcome(source: string, input: unknown): Outcome {
  try {
    return { value: compile([{ name: 't.rego', source }]).evaluate('data.t', { input, strictBuiltinErrors: true }) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Both engines give the same value, or both fail and our message contains OPA's. */
function expectSameAsOpa(source: string, input: unknown = {}): Outcome {
  const opa = opaOutcome(source, input);
  const ours = ourOutcome(source, input);
  if (opa.error !== undefined) {
    expect(ours.error).toBeDefined();
    expect(ours.error).toContain(opa.error);
  } else expect(ours).toEqual(opa);
  return opa;
}

describe('template strings', () => {
  it('in function arguments and rule heads are evaluated once the body binds their variables', () => {
    const value = expectSameAsOpa(
      `package t
p := f("foo bar")
q := g(["a-1", 3])
n := g(["a-2", 3])
s contains $"{y}!" if some y in ["a", "b"]
o[$"k{y}"] := y if some y in [1, 2]
f($"{x} {input.y}") := 42 if {
  x = "foo"
}
g([$"a-{z}", 3]) := z if z := 1
`,
      { y: 'bar' },
    );
    expect(value.value).toEqual({ p: 42, q: 1, s: ['a!', 'b!'], o: { k1: 1, k2: 2 } });
  });

  it('a function argument with any other call is refused', () => {
    expectSameAsOpa('package t\nf(1 + 1) := 7\n');
    expectSameAsOpa('package t\nf(count([1])) := 7\n');
  });

  it('an argument whose variables no body binds is unsafe', () => {
    expectSameAsOpa('package t\nh($"{w}") := w\n');
  });
});
