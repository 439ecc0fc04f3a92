// The accounts list is keyset-paged by name: every account appears exactly once across pages, also when
// accounts are created and deleted between pages, and a malformed limit or cursor is a 400 naming it.
import type { RunningService } from '@isd/kit';
import type { SaporConfig } from '../src';
import { AccountStore, type AccountDefinition } from '../src/accounts/store';
import { client, startSapor, users } from './helpers';

let sapor: RunningService<SaporConfig>;
let store: AccountStore;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  sapor = await startSapor();
  store = new AccountStore(sapor.database);
  api = client(sapor.url);
});

afterAll(async () => {
  await sapor?.stop();
});

function definition(name: string): AccountDefinition {
  return {
    name,
    type: 'kubernetes',
    kubeconfig: { server: 'https://cluster.example:6443', context: 'c', auth: 'token', sha256: 'ab' },
    agent: null,
    namespaces: [],
    omitNamespaces: [],
    environment: name,
    permissions: {},
  };
}

async function create(name: string): Promise<void> {
  await store.record({
    name,
    action: 'created',
    actor: 'test',
    backend: 'clouddriver',
    definition: definition(name),
    credentials: {},
    revision: null,
  });
}

async function remove(name: string): Promise<void> {
  const current = await store.get(name);
  await store.record({
    name,
    action: 'deleted',
    actor: 'test',
    backend: 'clouddriver',
    definition: null,
    credentials: {},
    revision: null,
    expectedVersion: current!.version,
  });
}

async function page(query: string): Promise<{ accounts: Array<{ name: string }>; next: string | null }> {
  const response = await api.asUser(users.admin, 'GET', `/api/v1/accounts${query}`);
  expect(response.status).toBe(200);
  return response.body as { accounts: Array<{ name: string }>; next: string | null };
}

it('pages through every account once, by name, while accounts come and go between pages', async () => {
  const names = Array.from({ length: 23 }, (_, index) => `acct-${String(index).padStart(2, '0')}`);
  for (const name of [...names].reverse()) await create(name);

  const seen: string[] = [];
  let next: string | null = null;
  let pages = 0;
  do {
    const result = await page(`?limit=5${next ? `&cursor=${next}` : ''}`);
    seen.push(...result.accounts.map((account) => account.name));
    next = result.next;
    pages += 1;
    if (pages === 2) {
      // Behind the cursor (already seen) and ahead of it: only the one ahead shows up later.
      await remove('acct-01');
      await create('acct-99');
    }
  } while (next);

  expect(seen).toEqual([...names, 'acct-99']);
  expect(pages).toBe(5);
});

it('answers the first page by default and says when there is no next page', async () => {
  const result = await page('');
  expect(result.accounts.length).toBeGreaterThan(0);
  expect(result.next).toBeNull();
});

it.each([
  ['limit=0', 'limit'],
  ['limit=501', 'limit'],
  ['limit=ten', 'limit'],
  ['cursor=%21%21', 'cursor'],
  [`cursor=${Buffer.from('Not A Name').toString('base64url')}`, 'cursor'],
])('refuses %s with a 400 naming %s', async (query, field) => {
  const response = await api.asUser(users.admin, 'GET', `/api/v1/accounts?${query}`);
  expect(response.status).toBe(400);
  expect(JSON.stringify(response.body)).toContain(field);
});

it('is for account admins only', async () => {
  expect((await api.asUser(users.developer, 'GET', '/api/v1/accounts?limit=5')).status).toBe(403);
});
