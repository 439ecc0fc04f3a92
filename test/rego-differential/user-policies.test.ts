// Policies as users write them (sidecars/rego/test-data/user-policies: Spinnaker pipeline and Kubernetes
// admission rules, each with inputs that allow, deny and are malformed) through our engine and the real
// `opa`: every rule named in cases.json and the whole package, with and without strict builtin errors,
// must give the same value, the same undefined, or the same error class.
import fs from 'node:fs';
import path from 'node:path';
import { compile, RegoError, toJSONText, valueFromJSON } from '@isd/rego';
import { canonical, OpaServer, sameOutcome, type Outcome } from './differential';

const CORPUS = path.join(__dirname, '..', '..', 'sidecars', 'rego', 'test-data', 'user-policies');

interface Cases {
  regoVersion?: 'v0' | 'v1';
  /** The error code both engines must refuse the policy with, for policies that do not compile. */
  rejected?: string;
  /** Rules of the package read on their own besides the whole package. */
  rules: string[];
  inputs: Record<string, unknown>;
}

interface UserPolicy {
  name: string;
  pkg: string[];
  modules: Array<{ name: string; source: string }>;
  cases: Cases;
}

function loadCorpus(): UserPolicy[] {
  return fs
    .readdirSync(CORPUS)
    .sort()
    .map((name) => {
      const dir = path.join(CORPUS, name);
      const files = fs.readdirSync(dir).filter((f) => f.endsWith('.rego'));
      const modules = files.map((f) => ({ name: `${name}/${f}`, source: fs.readFileSync(path.join(dir, f), 'utf8') }));
      // The package read is policy.rego's; other files are libraries it imports.
      const main = modules.find((m) => m.name.endsWith('/policy.rego')) ?? modules[0];
      const pkg = /^package\s+([\w.]+)/m.exec(main?.source ?? '')?.[1];
      if (!pkg) throw new Error(`${name}: no package in ${main?.name ?? 'any .rego file'}`);
      const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as Cases;
      return { name, pkg: pkg.split('.'), modules, cases };
    });
}

function ourOutcome(policy: UserPolicy, docPath: string[], input: unknown, strict: boolean): Outcome {
  let compiled;
  try {
    compiled = compile(policy.modules.map((m) => ({ ...m, regoVersion: policy.cases.regoVersion ?? 'v1' })));
  } catch (err) {
    if (err instanceof RegoError) return { kind: 'rejected', code: err.code, message: err.message };
    throw err;
  }
  try {
    const v = compiled.evaluateValue(`data.${docPath.join('.')}`, {
      input: valueFromJSON(input),
      strictBuiltinErrors: strict,
    });
    if (v === undefined) return { kind: 'undefined' };
    return { kind: 'value', json: canonical(toJSONText(v)) };
  } catch (err) {
    if (err instanceof RegoError) return { kind: 'error', code: err.code, message: err.message };
    throw err;
  }
}

const show = (o: Outcome): string =>
  o.kind === 'value' ? o.json : o.kind === 'undefined' ? 'undefined' : `${o.kind} ${o.code}: ${o.message}`;

const corpus = loadCorpus();

describe('user policies: our engine vs opa', () => {
  const servers: Partial<Record<'v0' | 'v1', OpaServer>> = {};
  beforeAll(async () => {
    [servers.v1, servers.v0] = await Promise.all([OpaServer.start(), OpaServer.start({ v0Compatible: true })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([servers.v1?.stop(), servers.v0?.stop()]);
  });

  it('has at least 40 policies, each with at least 3 inputs', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    for (const policy of corpus)
      expect([policy.name, Object.keys(policy.cases.inputs).length >= 3]).toEqual([policy.name, true]);
  });

  it.each(corpus.map((p) => [p.name, p] as const))(
    '%s',
    async (_name, policy) => {
      const reads = Object.entries(policy.cases.inputs).flatMap(([inputName, input]) =>
        [policy.pkg, ...policy.cases.rules.map((rule) => [...policy.pkg, rule])].flatMap((docPath) =>
          [false, true].map((strict) => ({ inputName, path: docPath, input, strictBuiltinErrors: strict })),
        ),
      );
      const server = servers[policy.cases.regoVersion ?? 'v1'] as OpaServer;
      const theirs = await server.evaluateModules(policy.modules, reads);
      // A policy OPA refuses is in the corpus only to check that we refuse it too, with the same error class.
      const expected = policy.cases.rejected ? `rejected ${policy.cases.rejected}` : 'accepted';
      const outcomeClass = (o: Outcome | undefined) => (o?.kind === 'rejected' ? `rejected ${o.code}` : 'accepted');
      expect(outcomeClass(theirs[0])).toBe(expected);
      if (policy.cases.rejected) {
        expect(outcomeClass(ourOutcome(policy, policy.pkg, {}, false))).toBe(expected);
        return;
      }
      const differences: string[] = [];
      reads.forEach((read, i) => {
        const ours = ourOutcome(policy, read.path, read.input, read.strictBuiltinErrors);
        const opa = theirs[i] as Outcome;
        if (!sameOutcome(ours, opa))
          differences.push(
            `${read.inputName} data.${read.path.join('.')}${read.strictBuiltinErrors ? ' (strict)' : ''}\n  ours: ${show(ours)}\n  opa:  ${show(opa)}`,
          );
      });
      expect(differences).toEqual([]);
      // The inputs must take the policy down different paths, or they test little.
      const packageOutcomes = new Set(
        reads.flatMap((read, i) =>
          read.path === policy.pkg && !read.strictBuiltinErrors ? [show(theirs[i] as Outcome)] : [],
        ),
      );
      expect(packageOutcomes.size).toBeGreaterThan(1);
    },
    60_000,
  );
});
