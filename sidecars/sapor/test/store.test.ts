// The Postgres store: revision compare-and-set, group-committed decision log, idempotent gates.
import { randomUUID } from 'node:crypto';
import type { RunningService } from '@isd/kit';
import { PostgresPolicyStore, policyDigest, type SaporConfig } from '../src';
import type { NewPolicyVersion } from '../src/store/policy-store';
import { client, decision, gateRecord, savePolicy, startSapor } from './helpers';

let sapor: RunningService<SaporConfig>;
let store: PostgresPolicyStore;

beforeAll(async () => {
  sapor = await startSapor();
  store = new PostgresPolicyStore(sapor.database, sapor.logger);
});

afterAll(async () => {
  await sapor.stop();
});

function version(name: string, source: string): NewPolicyVersion {
  const modules = [{ name: 'p.rego', source }];
  return {
    name,
    regoVersion: 'v1',
    modules,
    packages: [name],
    digest: policyDigest('v1', modules),
    description: null,
    origin: 'api',
    originRef: null,
    createdBy: 'test',
  };
}

it('saves only against the revision it validated, so concurrent saves cannot skip validation', async () => {
  const revision = await store.revision();
  const [first, second] = await Promise.all([
    store.save(version('a', 'package a\nx := 1\n'), revision),
    store.save(version('b', 'package b\nx := 1\n'), revision),
  ]);
  expect([first, second].filter((result) => result === 'stale')).toHaveLength(1);
  expect(await store.revision()).toBe(revision + 1);
});

it('concurrent saves through the service all land, each validated against the set it joins', async () => {
  const api = client(sapor.url);
  await Promise.all(
    Array.from({ length: 6 }, (_, index) =>
      savePolicy(api, `parallel-${index}`, `package isd.parallel${index}\n\nallow := true\n`),
    ),
  );
  const active = await store.active();
  expect(active.policies.filter((policy) => policy.name.startsWith('parallel-'))).toHaveLength(6);
});

it('writes every concurrent decision row (group commit) and reads one back', async () => {
  const ids = Array.from({ length: 60 }, () => randomUUID());
  await Promise.all(ids.map((decisionId, index) => store.logDecision(decision(decisionId, `{"index":${index}}`))));
  const { rows } = await sapor.database.query<{ count: string }>(
    'SELECT count(*) FROM decision_log WHERE decision_id = ANY($1::uuid[])',
    [ids],
  );
  expect(Number(rows[0]?.count)).toBe(60);
  expect((await store.decision(ids[7] as string))?.result?.text).toBe('{"index": 7}');
});

it("keeps a result's number texts in the decision log as far as jsonb does", async () => {
  const decisionId = randomUUID();
  await store.logDecision(
    decision(decisionId, '[1.0,2.50,123456789012345678901234567890,-0,1e400,1.5e-7,1E+2,0.1000,-12.340e1]'),
  );
  // jsonb holds numbers as Postgres numeric: every digit and decimal place is kept (1.0, 2.50, 0.1000, 30
  // digits), an exponent is written out in full, and -0 is 0 (numeric has no negative zero).
  expect((await store.decision(decisionId))?.result?.text).toBe(
    `[1.0, 2.50, 123456789012345678901234567890, 0, 1${'0'.repeat(400)}, 0.00000015, 100, 0.1000, -123.40]`,
  );
});

it('stores a policy result holding a NUL character (jsonb refuses it) with U+FFFD in its place', async () => {
  const decisionId = randomUUID();
  await store.logDecision(decision(decisionId, '{"s":"a\\u0000b","n":1.0}'));
  expect((await store.decision(decisionId))?.result?.text).toBe('{"n": 1.0, "s": "a\ufffdb"}');
});

it('stores a number beyond numeric (which would fail the whole INSERT) as a string of its text', async () => {
  const ids = [randomUUID(), randomUUID()];
  const results = ['{"tiny":1e-20000,"ok":1.0,"edge":1e-16383}', `[1.5e-16383, ${'9'.repeat(131_073)}, "1e-99999"]`];
  await Promise.all(ids.map((decisionId, index) => store.logDecision(decision(decisionId, results[index] as string))));
  expect((await store.decision(ids[0] as string))?.result?.text).toBe(
    `{"ok": 1.0, "edge": 0.${'0'.repeat(16382)}1, "tiny": "1e-20000"}`,
  );
  expect((await store.decision(ids[1] as string))?.result?.text).toBe(
    `["1.5e-16383", "${'9'.repeat(131_073)}", "1e-99999"]`,
  );
});

it('keeps the first gate of an (execution, stage) pair', async () => {
  const executionId = `e-${randomUUID()}`;
  const results = await Promise.all([
    store.insertGate(gateRecord(executionId)),
    store.insertGate({ ...gateRecord(executionId), status: 'deny' }),
  ]);
  expect(results.filter((result) => result.created)).toHaveLength(1);
  expect(results[0]?.gate.id).toBe(results[1]?.gate.id);
});
