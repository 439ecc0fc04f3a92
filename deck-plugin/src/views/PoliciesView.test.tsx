import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import React from 'react';

import { FakeGate } from '../../test/fake-gate';
import { policies, policyGateRecords } from '../../test/fixtures';
import { SidecarClientProvider } from '../api/client-context';
import { createGateProxyClient } from '../api/sidecar-client';
import { DECISIONS_PAGE_SIZE, PoliciesView } from './PoliciesView';

const gatesRoute = 'GET /proxies/sapor/api/v1/policy-gates';
const TOTAL = 10_000;

function renderView(gate: FakeGate) {
  const client = createGateProxyClient({ gateUrl: gate.gateUrl, fetch: gate.fetch });
  return render(
    <SidecarClientProvider client={client}>
      <PoliciesView app={{ name: 'checkout' }} />
    </SidecarClientProvider>,
  );
}

/** sapor over 10,000 decisions of the application: the cursor is the offset reached, as text. */
function sapor() {
  return new FakeGate()
    .on('GET /proxies/sapor/api/v1/policies', { body: { revision: 4, policies } })
    .on(gatesRoute, (request) => {
      const start = request.query['cursor'] ? Number(request.query['cursor']) : 0;
      const count = Math.min(Number(request.query['limit']), TOTAL - start);
      return {
        body: { gates: policyGateRecords(count, start), next: start + count < TOTAL ? String(start + count) : null },
      };
    });
}

describe('PoliciesView', () => {
  it('lists the policies in force and a page of this application’s decisions with their reasons', async () => {
    const gate = sapor();
    const { container } = renderView(gate);
    expect(await screen.findByText('deploy-rules')).toBeTruthy();
    await waitFor(() => expect(container.querySelectorAll('.isd-decision-row')).toHaveLength(DECISIONS_PAGE_SIZE));
    expect(screen.getAllByText('deploys to prod need a change ticket').length).toBeGreaterThan(0);
    const request = gate.requests.find((candidate) => candidate.path === '/proxies/sapor/api/v1/policy-gates');
    expect(request?.query).toEqual({ application: 'checkout', limit: String(DECISIONS_PAGE_SIZE) });
    fireEvent.click(screen.getByText('Next'));
    await waitFor(() => expect(screen.getByText('Page 2')).toBeTruthy());
    expect(gate.requests.at(-1)?.query['cursor']).toBe(String(DECISIONS_PAGE_SIZE));
    fireEvent.change(screen.getByLabelText('Outcome'), { target: { value: 'deny' } });
    await waitFor(() =>
      expect(gate.requests.at(-1)?.query).toEqual({ application: 'checkout', status: 'deny', limit: '25' }),
    );
  });

  it('shows a decision’s input, or why sapor did not keep it, and takes it into the playground', async () => {
    const [kept, omitted] = policyGateRecords(2);
    const gate = new FakeGate()
      .on('GET /proxies/sapor/api/v1/policies', { body: { policies } })
      .on(gatesRoute, { body: { gates: [kept, omitted], next: null } })
      .on(`GET /proxies/sapor/api/v1/policy-gates/${kept!.id}/input`, {
        body: {
          id: kept!.id,
          input: { application: 'checkout', params: { ticket: '' } },
          inputBytes: 60,
          omitted: null,
        },
      })
      .on(`GET /proxies/sapor/api/v1/policy-gates/${omitted!.id}/input`, {
        body: { id: omitted!.id, input: null, inputBytes: 400_000, omitted: 'the input was 400000 bytes' },
      })
      .on('GET /proxies/sapor/api/v1/policies/deploy-rules', {
        body: {
          name: 'deploy-rules',
          version: 3,
          regoVersion: 'v1',
          modules: [{ name: 'main.rego', source: 'package isd.deploy\n' }],
        },
      });
    renderView(gate);
    const buttons = await screen.findAllByLabelText(/Show input of the decision/);
    fireEvent.click(buttons[1]!);
    expect(await screen.findByText('the input was 400000 bytes')).toBeTruthy();
    fireEvent.click(buttons[0]!);
    expect(await screen.findByText(/"ticket": ""/)).toBeTruthy();
    fireEvent.click(screen.getByText('Use in the playground'));
    await waitFor(() => expect((screen.getByLabelText('Policy name') as HTMLInputElement).value).toBe('deploy-rules'));
    expect((screen.getByLabelText('main.rego') as HTMLTextAreaElement).value).toBe('package isd.deploy\n');
    expect((screen.getByLabelText('Input (JSON)') as HTMLTextAreaElement).value).toContain('"ticket": ""');
  });

  it('evaluates the edited policy on the edited input through sapor’s check, with the tests', async () => {
    const gate = new FakeGate()
      .on('GET /proxies/sapor/api/v1/policies', { body: { policies: [] } })
      .on(gatesRoute, { body: { gates: [], next: null } })
      .on('POST /proxies/sapor/api/v1/policies/playground/check', {
        body: {
          passed: false,
          packages: ['isd.playground'],
          tests: [
            { name: 'data.isd.playground.test_a', passed: true },
            { name: 'data.isd.playground.test_b', passed: false, error: 'undefined' },
          ],
          evaluation: { document: 'data.isd.playground.deny', result: ['the application is missing'], warnings: [] },
        },
      });
    renderView(gate);
    expect(await screen.findByText('No policies are in force.')).toBeTruthy();
    expect(screen.getByText('No policy gate has decided in this application.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Input (JSON)'), { target: { value: '{"application": ' } });
    fireEvent.click(screen.getByText('Evaluate'));
    expect(await screen.findByText(/Input: not JSON/)).toBeTruthy();
    expect(gate.requests.some((request) => request.method === 'POST')).toBe(false);

    fireEvent.change(screen.getByLabelText('Input (JSON)'), { target: { value: '{"application": ""}' } });
    fireEvent.change(screen.getByLabelText('Document to evaluate'), { target: { value: 'isd/playground/deny' } });
    fireEvent.click(screen.getByText('Evaluate'));
    expect(await screen.findByText(/"the application is missing"/)).toBeTruthy();
    expect(screen.getByText('failing')).toBeTruthy();
    expect(screen.getByText(/test_b: undefined/)).toBeTruthy();
    const sent = gate.requests.find((request) => request.method === 'POST');
    expect(sent?.body).toMatchObject({ regoVersion: 'v1', input: { application: '' }, query: 'isd/playground/deny' });
    expect((sent?.body as { modules: unknown[] }).modules).toHaveLength(1);
  });

  it('shows sapor’s refusal of a broken policy and failures to load', async () => {
    const gate = new FakeGate()
      .on('GET /proxies/sapor/api/v1/policies', { status: 502, text: '' })
      .on(gatesRoute, { status: 404, body: { detail: 'application checkout does not exist' } })
      .on('POST /proxies/sapor/api/v1/policies/playground/check', {
        status: 400,
        body: { detail: 'modules[0] (policy.rego): policy.rego:1:8: expected a package name' },
      });
    renderView(gate);
    expect(await screen.findByText('sapor is unavailable (Gate answered 502)')).toBeTruthy();
    expect(await screen.findByText('sapor 404: application checkout does not exist')).toBeTruthy();
    fireEvent.click(screen.getByText('Evaluate'));
    expect(await screen.findByText(/expected a package name/)).toBeTruthy();
  });
});
