// What the live policy set may hold: every evaluation compiles all live policies in every worker, so their
// number (policy.maxPolicies) and their Rego source together (policy.maxBundleBytes) are bounded. A save past
// either is a 400 naming the key and stores nothing; changing a policy that is already live, or saving after a
// deletion made room, still works.
import type { RunningService } from '@isd/kit';
import type { SaporConfig } from '../src';
import { client, startSapor, users } from './helpers';

const MAX_POLICIES = 3;
const MAX_BUNDLE_BYTES = 2_000;

let sapor: RunningService<SaporConfig>;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  sapor = await startSapor({ policy: { maxPolicies: MAX_POLICIES, maxBundleBytes: MAX_BUNDLE_BYTES } });
  api = client(sapor.url);
});
afterAll(() => sapor?.stop());

/** A policy of package `isd.<name>`, padded with a comment to about `bytes` bytes. */
const source = (name: string, bytes = 0, value = 1) =>
  `package isd.${name.replace(/-/g, '_')}\n\nvalue := ${value}\n# ${'x'.repeat(bytes)}\n`;
const save = (name: string, text: string) =>
  api.asUser(users.admin, 'PUT', `/api/v1/policies/${name}`, { source: text });
const live = async () =>
  ((await api.asService('GET', '/api/v1/policies')).body.policies as Array<{ name: string; version: number }>).map(
    (policy) => `${policy.name}@${policy.version}`,
  );

describe('the live policy set', () => {
  it('holds at most policy.maxPolicies policies; a live one still changes, and a deletion makes room', async () => {
    for (let n = 0; n < MAX_POLICIES; n++) expect((await save(`p${n}`, source(`p${n}`))).status).toBe(201);
    const refused = await save('p-extra', source('p-extra'));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ type: 'urn:isd:problem:policy_limit' });
    expect(refused.body.detail).toContain('policy.maxPolicies allows 3');
    expect(await live()).toEqual(['p0@1', 'p1@1', 'p2@1']);

    expect((await save('p0', source('p0', 0, 2))).status).toBe(201);
    expect((await api.asUser(users.admin, 'DELETE', '/api/v1/policies/p1')).status).toBe(204);
    expect((await save('p-extra', source('p-extra'))).status).toBe(201);
    expect(await live()).toEqual(['p-extra@1', 'p0@2', 'p2@1']);
  });

  it('never lets concurrent new names pass the limit together', async () => {
    expect((await api.asUser(users.admin, 'DELETE', '/api/v1/policies/p-extra')).status).toBe(204);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, n) => save(`race${n}`, source(`race${n}`))));
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    expect(answers.every((answer) => answer.status === 201 || answer.status === 400)).toBe(true);
    expect(await live()).toHaveLength(MAX_POLICIES);
  });

  it('holds at most policy.maxBundleBytes of Rego together, whichever policy grows', async () => {
    const before = await live();
    const refused = await save('p2', source('p2', MAX_BUNDLE_BYTES));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ type: 'urn:isd:problem:policy_bundle_too_large' });
    expect(refused.body.detail).toMatch(/more than policy\.maxBundleBytes \(2000\)/);
    expect(await live()).toEqual(before);
    // Growing within the bound is a new version as always.
    expect((await save('p2', source('p2', 500))).status).toBe(201);
  });
});
