/**
 * @jest-environment node
 */
// The Accounts view in a browser against real sapor through the Gate proxy harness: sapor checks the pasted
// kubeconfig against a real kube-apiserver and writes the account to the Clouddriver account API harness
// behind the Gate API harness, beside 10,000 stored accounts the view pages through. An admin adds and deletes
// an account from the keyboard; a developer is told only admins may change accounts.
import fs from 'node:fs';
import { renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import type { RunningService } from '@isd/kit';
import { saporService } from '@isd/sapor';
import type { SaporConfig } from '@isd/sapor';

import { startClouddriverAccountApi } from '../../test/harness/clouddriver';
import type { ClouddriverAccountApi } from '../../test/harness/clouddriver';
import { startGateApi, startGateProxy } from '../../test/harness/gate';
import type { GateApiHarness, GateProxy } from '../../test/harness/gate';
import {
  createTestDatabase,
  startKubeApiServer,
  startTestService,
  testServiceConfig,
  TEST_GATE_TOKEN,
} from '@isd/test-support';
import type { KubeApiServer } from '@isd/test-support';
import { forwardToGate, loginInBrowser } from './browser/gate-forwarding';
import { startBrowserSession } from './browser/session';
import type { BrowserSession } from './browser/session';

jest.setTimeout(180_000);

const SEEDED = 10_000;
const SAPOR_GATE_USER = 'sapor-svc';
const users = { bob: ['dev'], 'account-admin': { roles: ['admin'], admin: true } };

let apiServer: KubeApiServer;
let clouddriver: ClouddriverAccountApi;
let spinnakerGate: GateApiHarness;
let sapor: RunningService<SaporConfig>;
let gate: GateProxy;
let session: BrowserSession;

beforeAll(async () => {
  apiServer = await startKubeApiServer();
  clouddriver = await startClouddriverAccountApi({
    users: { [SAPOR_GATE_USER]: { roles: ['spinnaker-admins'], accountManager: true } },
  });
  spinnakerGate = await startGateApi({
    basicAuthUsers: { [SAPOR_GATE_USER]: 'secret' },
    clouddriverUrl: clouddriver.url,
  });
  sapor = await startTestService(
    saporService,
    testServiceConfig(saporService, {
      databaseUrl: await createTestDatabase('deck_accounts_sapor'),
      users,
      extra: {
        gate: { url: spinnakerGate.url, username: SAPOR_GATE_USER, password: 'secret', retries: 1, backoffMs: 10 },
        accounts: { backend: 'clouddriver', checkTimeoutMs: 5_000 },
      },
    }),
  );
  // 10,000 accounts already there: the view pages through them by name instead of loading them all.
  await sapor.database.query(
    `INSERT INTO accounts (name, version, backend, definition, created_by, updated_by)
     SELECT 'seeded-' || lpad(n::text, 5, '0'), 1, 'clouddriver',
            jsonb_build_object('name', 'seeded-' || lpad(n::text, 5, '0'), 'type', 'kubernetes',
              'kubeconfig', jsonb_build_object('server', 'https://seeded-' || n || '.example:6443', 'context', 'c',
                                               'auth', 'token', 'sha256', md5(n::text)),
              'agent', null, 'namespaces', '[]'::jsonb, 'omitNamespaces', '[]'::jsonb, 'environment', 'seeded',
              'permissions', '{}'::jsonb),
            'seed', 'seed'
     FROM generate_series(1, $1) AS n`,
    [SEEDED],
  );
  gate = await startGateProxy({
    gateLocal: renderSpinnakerConfig(resolveValues()).files['gate-local.yml'],
    gateToken: TEST_GATE_TOKEN,
    targets: { sapor: sapor.url },
  });
  session = await startBrowserSession(forwardToGate(gate));
  expect(await session.loadPlugin()).toContain('isdVerificationGate');
}, 300_000);

afterAll(async () => {
  await session?.close();
  await gate?.close();
  await sapor?.stop();
  await spinnakerGate?.close();
  await clouddriver?.close();
  await apiServer?.stop();
});

describe('the Accounts view in the browser, through the Gate proxy, against real sapor', () => {
  it('an admin pages through 10,000 accounts, adds one with a pasted kubeconfig and deletes it by keyboard', async () => {
    await loginInBrowser(session, gate, 'account-admin');
    await session.renderApplicationView('isdAccounts', 'checkout');
    await session.page.waitForSelector('.isd-account-row');
    expect(await session.page.locator('.isd-account-row').count()).toBe(50);
    await session.page.click('text=Next');
    await session.page.waitForFunction(
      () => document.querySelector('.isd-account-row')?.getAttribute('data-name') === 'seeded-00051',
    );
    await session.page.click('text=Previous');
    await session.page.waitForFunction(
      () => document.querySelector('.isd-account-row')?.getAttribute('data-name') === 'seeded-00001',
    );

    // A name sapor refuses: its message is shown under the Name input.
    await session.page.fill('#isd-account-name', 'Prod East');
    await session.page.fill('#isd-account-kubeconfig', 'apiVersion: v1');
    await session.page.click('text=Add account');
    await session.page.waitForSelector('#isd-account-name-error');
    expect(await session.page.textContent('#isd-account-name-error')).toContain('name');
    expect(await session.page.getAttribute('#isd-account-name', 'aria-invalid')).toBe('true');

    const kubeconfig = fs.readFileSync(apiServer.kubeconfigPath, 'utf8');
    await session.page.fill('#isd-account-name', 'prod-east');
    await session.page.fill('#isd-account-kubeconfig', kubeconfig);
    await session.page.fill('#isd-account-namespaces', 'default');
    await session.page.fill('#isd-account-read', 'dev');
    await session.page.fill('#isd-account-write', 'spinnaker-admins');
    await session.page.focus('#isd-account-write');
    await session.page.keyboard.press('Enter');
    await session.page.waitForSelector('text=Account prod-east was created.');
    await session.page.waitForFunction(
      () => document.querySelector('.isd-account-row')?.getAttribute('data-name') === 'prod-east',
    );
    expect(clouddriver.accounts.has('prod-east')).toBe(true);
    expect(await session.page.inputValue('#isd-account-kubeconfig')).toBe('');
    const firstRow = await session.page.locator('.isd-account-row').first().textContent();
    expect(firstRow).toContain(apiServer.url);
    expect(firstRow).toContain('default');
    await session.screenshot('real-sapor-accounts-view');

    await session.page.click('[aria-label="Show history of prod-east"]');
    await session.page.waitForSelector('[aria-label="History of prod-east"] [data-version="1"]');
    expect(await session.page.textContent('[aria-label="History of prod-east"]')).toContain('account-admin');

    await session.page.focus('[aria-label="Delete prod-east"]');
    await session.page.keyboard.press('Enter');
    // The confirm button takes the focus, so a second Enter confirms.
    await session.page.waitForFunction(() => document.activeElement?.textContent === 'Yes, delete');
    await session.page.keyboard.press('Enter');
    await session.page.waitForSelector('text=Account prod-east was deleted (0 tunnel certificates revoked).');
    await session.page.waitForFunction(
      () => document.querySelector('.isd-account-row')?.getAttribute('data-name') === 'seeded-00001',
    );
    expect(clouddriver.accounts.has('prod-east')).toBe(false);
    const forwarded = gate.forwarded.filter((request) => request.url.includes('/api/v1/accounts'));
    expect(forwarded.every((request) => request.headers['X-SPINNAKER-USER'] === 'account-admin')).toBe(true);
    expect(session.pageErrors).toEqual([]);
  });

  it('a developer is told that only account admins may see and change accounts', async () => {
    await loginInBrowser(session, gate, 'bob');
    await session.renderApplicationView('isdAccounts', 'checkout');
    await session.page.waitForSelector('.isd-forbidden');
    expect(await session.page.textContent('.isd-forbidden')).toContain('Only account admins');
    expect(await session.page.textContent('.isd-forbidden')).toContain('bob may not manage accounts');
    expect(await session.page.locator('form.isd-add-account').count()).toBe(0);
  });
});
