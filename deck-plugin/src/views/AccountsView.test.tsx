import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import React from 'react';

import { FakeGate } from '../../test/fake-gate';
import type { RecordedRequest } from '../../test/fake-gate';
import { SidecarClientProvider } from '../api/client-context';
import { createGateProxyClient } from '../api/sidecar-client';
import type { AccountSummary } from '../api/sidecar-shapes';
import { ACCOUNTS_PAGE_SIZE, AccountsView } from './AccountsView';

const listRoute = 'GET /proxies/sapor/api/v1/accounts';
const createRoute = 'POST /proxies/sapor/api/v1/accounts';
const TOTAL = 10_000;
const KUBECONFIG = 'apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: s3cr3t-token}}]\n';

function account(index: number, extra: Partial<AccountSummary> = {}): AccountSummary {
  const name = `acct-${String(index).padStart(5, '0')}`;
  return {
    name,
    type: 'kubernetes',
    kubeconfig: { server: `https://cluster-${index}.example:6443`, context: 'c', auth: 'token', sha256: 'ab' },
    agent: null,
    namespaces: index % 2 ? ['web', 'jobs'] : [],
    omitNamespaces: [],
    environment: 'prod',
    permissions: { READ: ['dev'], WRITE: ['ops'] },
    version: 1,
    backend: 'clouddriver',
    revision: null,
    createdAt: '2026-12-01T10:00:00.000Z',
    createdBy: 'admin',
    updatedAt: '2026-12-01T10:00:00.000Z',
    updatedBy: 'admin',
    ...extra,
  };
}

/** sapor's list over 10,000 accounts: the cursor (opaque to the view) is the index reached, as text. */
function pagedList(gate: FakeGate) {
  return gate.on(listRoute, (request) => {
    const start = request.query['cursor'] ? Number(request.query['cursor']) : 0;
    const limit = Number(request.query['limit']);
    const count = Math.min(limit, TOTAL - start);
    return {
      body: {
        accounts: Array.from({ length: count }, (_, offset) => account(start + offset)),
        next: start + count < TOTAL ? String(start + count) : null,
      },
    };
  });
}

function requestsTo(gate: FakeGate, route: string): RecordedRequest[] {
  return gate.requests.filter((request) => `${request.method} ${request.path}` === route);
}

function renderView(gate: FakeGate) {
  const client = createGateProxyClient({ gateUrl: gate.gateUrl, fetch: gate.fetch });
  return render(
    <SidecarClientProvider client={client}>
      <AccountsView app={{ name: 'checkout' }} />
    </SidecarClientProvider>,
  );
}

function form(): HTMLElement {
  return screen.getByRole('form', { name: 'Add an account' });
}

describe('AccountsView', () => {
  it('shows one page of 10,000 accounts and pages with sapor’s cursor', async () => {
    const gate = pagedList(new FakeGate());
    const { container } = renderView(gate);
    expect(screen.getByText('Loading accounts from sapor…')).toBeTruthy();
    await waitFor(() => expect(container.querySelectorAll('.isd-account-row')).toHaveLength(ACCOUNTS_PAGE_SIZE));
    expect(requestsTo(gate, listRoute)[0]?.query).toEqual({ limit: String(ACCOUNTS_PAGE_SIZE) });
    expect(screen.getByText('https://cluster-1.example:6443 (token)')).toBeTruthy();
    expect(screen.getAllByText('web, jobs').length).toBeGreaterThan(0);
    fireEvent.click(screen.getByText('Next'));
    await waitFor(() =>
      expect(container.querySelector('.isd-account-row')?.getAttribute('data-name')).toBe('acct-00050'),
    );
    expect(requestsTo(gate, listRoute).at(-1)?.query['cursor']).toBe(String(ACCOUNTS_PAGE_SIZE));
    fireEvent.click(screen.getByText('Previous'));
    await waitFor(() =>
      expect(container.querySelector('.isd-account-row')?.getAttribute('data-name')).toBe('acct-00000'),
    );
  });

  it('says when there are no accounts, and shows sapor’s error instead of an empty table', async () => {
    renderView(new FakeGate().on(listRoute, { body: { accounts: [], next: null } }));
    expect(await screen.findByText('No accounts are managed by sapor yet. Add one below.')).toBeTruthy();
    renderView(new FakeGate().on(listRoute, { status: 503, body: { detail: 'database unavailable' } }));
    expect(await screen.findByText('sapor 503: database unavailable')).toBeTruthy();
  });

  it('explains that only admins may change accounts when sapor answers 403, and offers no form', async () => {
    renderView(
      new FakeGate().on(listRoute, {
        status: 403,
        body: { detail: 'dev@example.com may not manage accounts: needs one of the roles admin' },
      }),
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Only account admins');
    expect(alert.textContent).toContain('dev@example.com may not manage accounts');
    expect(screen.queryByRole('form', { name: 'Add an account' })).toBeNull();
  });

  it('adds an account with a pasted kubeconfig, sends exactly the fields given, and clears the kubeconfig', async () => {
    const created = account(1, { name: 'prod-east' });
    const gate = new FakeGate()
      .on(listRoute, { body: { accounts: [], next: null } })
      .on(createRoute, { status: 201, body: { account: created } });
    renderView(gate);
    await screen.findByText(/No accounts/);
    fireEvent.change(within(form()).getByLabelText('Name'), { target: { value: 'prod-east' } });
    fireEvent.change(within(form()).getByLabelText('Kubeconfig'), { target: { value: KUBECONFIG } });
    fireEvent.change(within(form()).getByLabelText('Namespaces'), { target: { value: 'web, jobs' } });
    fireEvent.change(within(form()).getByLabelText('WRITE roles'), { target: { value: 'ops,admins' } });
    fireEvent.submit(form());
    expect(await screen.findByText('Account prod-east was created.')).toBeTruthy();
    expect(requestsTo(gate, createRoute)[0]?.body).toEqual({
      name: 'prod-east',
      kubeconfig: KUBECONFIG,
      namespaces: ['web', 'jobs'],
      permissions: { WRITE: ['ops', 'admins'] },
    });
    expect((within(form()).getByLabelText('Kubeconfig') as HTMLTextAreaElement).value).toBe('');
    expect(document.body.textContent).not.toContain('s3cr3t-token');
    expect(screen.queryByLabelText('Agent manifest')).toBeNull();
    // The list is asked again so the new account shows.
    expect(requestsTo(gate, listRoute).length).toBe(2);
  });

  it('adds an account through an agent and shows the returned manifest once, copyable', async () => {
    const manifest = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: isd-agent}\n';
    const gate = new FakeGate().on(listRoute, { body: { accounts: [], next: null } }).on(createRoute, {
      status: 201,
      body: {
        account: account(2, { name: 'edge', agent: { name: 'edge-1', namespace: 'isd-agent' } }),
        agentManifest: manifest,
      },
    });
    const writeText = jest.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    renderView(gate);
    await screen.findByText(/No accounts/);
    fireEvent.change(within(form()).getByLabelText('Name'), { target: { value: 'edge' } });
    fireEvent.click(within(form()).getByLabelText(/through an agent/));
    expect(within(form()).queryByLabelText('Kubeconfig')).toBeNull();
    fireEvent.change(within(form()).getByLabelText('Agent name'), { target: { value: 'edge-1' } });
    fireEvent.submit(form());
    const block = (await screen.findByLabelText('Agent manifest')) as HTMLTextAreaElement;
    expect(block.value).toBe(manifest);
    expect(requestsTo(gate, createRoute)[0]?.body).toEqual({
      name: 'edge',
      agent: { name: 'edge-1' },
      permissions: {},
    });
    fireEvent.click(screen.getByText('Copy manifest'));
    await screen.findByText('Copied.');
    expect(writeText).toHaveBeenCalledWith(manifest);
    fireEvent.click(screen.getByText('Done'));
    expect(screen.queryByLabelText('Agent manifest')).toBeNull();
  });

  it('shows sapor’s refusal on the field it names, and a refusal naming no field above the form', async () => {
    const gate = new FakeGate().on(listRoute, { body: { accounts: [], next: null } }).on(createRoute, (request) =>
      (request.body as { name: string }).name === 'bad'
        ? {
            status: 400,
            body: {
              detail: 'kubeconfig: users[0].user.exec: exec plugins cannot be checked here',
              field: 'body.kubeconfig',
            },
          }
        : { status: 409, body: { detail: 'account taken exists' } },
    );
    renderView(gate);
    await screen.findByText(/No accounts/);
    fireEvent.change(within(form()).getByLabelText('Name'), { target: { value: 'bad' } });
    fireEvent.change(within(form()).getByLabelText('Kubeconfig'), { target: { value: KUBECONFIG } });
    fireEvent.submit(form());
    const error = await screen.findByText(/exec plugins cannot be checked here/);
    expect(error.id).toBe('isd-account-kubeconfig-error');
    const input = within(form()).getByLabelText('Kubeconfig');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe('isd-account-kubeconfig-error');

    fireEvent.change(within(form()).getByLabelText('Name'), { target: { value: 'taken' } });
    fireEvent.submit(form());
    expect(await screen.findByText('sapor 409: account taken exists')).toBeTruthy();
    expect(within(form()).getByLabelText('Kubeconfig').getAttribute('aria-invalid')).toBeNull();
  });

  it('deletes only after confirmation (focus on the confirm button) and reloads the list', async () => {
    let deleted = false;
    const gate = new FakeGate()
      .on(listRoute, () => ({ body: { accounts: deleted ? [] : [account(3)], next: null } }))
      .on('DELETE /proxies/sapor/api/v1/accounts/acct-00003', () => {
        deleted = true;
        return { body: { name: 'acct-00003', version: 2, revision: null, revoked: 1 } };
      });
    renderView(gate);
    fireEvent.click(await screen.findByLabelText('Delete acct-00003'));
    expect(requestsTo(gate, 'DELETE /proxies/sapor/api/v1/accounts/acct-00003')).toHaveLength(0);
    fireEvent.click(screen.getByText('Cancel'));
    fireEvent.click(screen.getByLabelText('Delete acct-00003'));
    const confirm = screen.getByText('Yes, delete');
    await waitFor(() => expect(document.activeElement).toBe(confirm));
    fireEvent.click(confirm);
    expect(await screen.findByText('Account acct-00003 was deleted (1 tunnel certificate revoked).')).toBeTruthy();
    expect(await screen.findByText(/No accounts/)).toBeTruthy();
  });

  it('opens an account’s history in place, newest first, deletions included', async () => {
    const gate = new FakeGate()
      .on(listRoute, { body: { accounts: [account(4)], next: null } })
      .on('GET /proxies/sapor/api/v1/accounts/acct-00004/history', {
        body: {
          history: [
            {
              version: 2,
              action: 'updated',
              backend: 'clouddriver',
              actor: 'carol',
              occurredAt: '2026-12-02T09:00:00.000Z',
              revision: null,
              account: { ...account(4), namespaces: ['web'] },
            },
            {
              version: 1,
              action: 'created',
              backend: 'clouddriver',
              actor: 'alice',
              occurredAt: '2026-12-01T09:00:00.000Z',
              revision: null,
              account: account(4),
            },
          ],
        },
      });
    renderView(gate);
    fireEvent.click(await screen.findByLabelText('Show history of acct-00004'));
    const table = await screen.findByRole('table', { name: 'History of acct-00004' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((row) => row.getAttribute('data-version'))).toEqual(['2', '1']);
    expect(within(rows[0]!).getByText('carol')).toBeTruthy();
    expect(within(rows[0]!).getByText('web')).toBeTruthy();
    fireEvent.click(screen.getByLabelText('Hide history of acct-00004'));
    expect(screen.queryByRole('table', { name: 'History of acct-00004' })).toBeNull();
  });
});
