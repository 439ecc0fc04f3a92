import { RegoError } from './errors';
import { compile } from './policy';

// A small deterministic PRNG so failures reproduce.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SEEDS = [
  `package spinnaker.deploy
import rego.v1
default allow := false
allow if { input.user.role == "admin"; count(input.stages) > 0 }
deny contains msg if { some s in input.pipeline.stages; s.type == "deploy"; not s.requisiteStageRefIds; msg := sprintf("%s: no approval", [s.name]) }
images[i] := img if { some i, img in input.images; startswith(img, "docker.io/") }
f(x) := y if { y := x * 2 } else := 0
blackout if { [h, _, _] := time.clock([time.now_ns(), "UTC"]); h >= 9; h < 16 }
ok if every s in input.pipeline.stages { s.name != "" }
`,
  `package x
p[k] = v { v := input.kv[k]; regex.match("^[a-z]+$", k) }
q { not p["a"] }
r = {x | x := input.xs[_]} { true }
`,
];

const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ':=',
  '=',
  '==',
  ',',
  ';',
  '\n',
  'if',
  'contains',
  'some',
  'in',
  'every',
  'not',
  'with',
  'as',
  'else',
  'default',
  '"',
  '`',
  '.',
  '_',
  'x',
  '1e400',
  '-',
  '|',
  '&',
  'input',
  'data',
  'count(',
  '#',
];

function mutate(source: string, rand: () => number): string {
  let s = source;
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const i = Math.floor(rand() * (s.length + 1));
    const kind = rand();
    if (kind < 0.35) s = s.slice(0, i) + s.slice(i + 1 + Math.floor(rand() * 5));
    else if (kind < 0.75) s = s.slice(0, i) + TOKENS[Math.floor(rand() * TOKENS.length)] + s.slice(i);
    else {
      const j = Math.floor(rand() * s.length);
      s = s.slice(0, i) + s.slice(j, j + 8) + s.slice(i);
    }
  }
  return s;
}

const INPUTS: unknown[] = [
  null,
  1,
  'text',
  [],
  {
    user: { role: 'admin' },
    stages: [1],
    pipeline: { stages: [{ name: 'a', type: 'deploy' }, null, 'x'] },
    images: [1, 'docker.io/a'],
    kv: { a: 1, '': [] },
    xs: [{}, [], 2],
  },
  { pipeline: 'not an object', images: { a: 'b' }, kv: 5 },
];

describe('malformed policies and inputs', () => {
  it('gives errors, never crashes, for 1,000 mutated policies', () => {
    const rand = prng(42);
    let compiled = 0;
    let rejected = 0;
    for (let n = 0; n < 1000; n++) {
      const seed = SEEDS[n % SEEDS.length] as string;
      const source = mutate(seed, rand);
      const regoVersion = n % SEEDS.length === 1 ? 'v0' : 'v1';
      let policy;
      try {
        policy = compile([{ name: 'fuzz.rego', source, regoVersion }]);
        compiled++;
      } catch (err) {
        if (!(err instanceof RegoError)) throw new Error(`non-Rego error ${String(err)} for:\n${source}`);
        rejected++;
        continue;
      }
      for (const input of INPUTS) {
        for (const path of ['data', 'data.spinnaker.deploy', 'data.x.q']) {
          try {
            policy.evaluate(path, {
              input,
              budget: { maxSteps: 20_000, timeoutMs: 500 },
              strictBuiltinErrors: n % 2 === 0,
            });
          } catch (err) {
            if (!(err instanceof RegoError))
              throw new Error(`non-Rego error ${String(err)} for:\n${source}\ninput ${JSON.stringify(input)}`);
          }
        }
      }
    }
    expect(compiled + rejected).toBe(1000);
    expect(rejected).toBeGreaterThan(100);
    expect(compiled).toBeGreaterThan(10);
  });

  it('reports pathologically deep input as an evaluation error', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const policy = compile([{ name: 'a.rego', source: 'package a\np := count(input)' }]);
    expect(() => policy.evaluate('data.a.p', { input: deep })).toThrow(RegoError);
    expect(() =>
      compile([{ name: 'b.rego', source: 'package b\np := ' + '['.repeat(100_000) + ']'.repeat(100_000) }]),
    ).toThrow(RegoError);
  });

  it('rejects malformed document paths and queries with Rego errors', () => {
    const policy = compile([{ name: 'a.rego', source: 'package a\np := 1' }]);
    for (const bad of ['', 'data.', 'data[', 'x := ', '1 +', 'data.a.p ==', '{', 'not', 'some x in']) {
      expect(() => policy.query(bad)).toThrow(RegoError);
    }
    expect(() => policy.evaluate('data.a.p; 1')).toThrow(RegoError);
  });
});
