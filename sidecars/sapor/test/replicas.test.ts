// Two replicas on one database: a save on one decides on the other at its next request.
import type { RunningService } from '@isd/kit';
import { createTestDatabase, startTestService, testServiceConfig } from '@isd/test-support';
import { saporService, type SaporConfig } from '../src';
import { client, savePolicy, users } from './helpers';

let replicas: RunningService<SaporConfig>[] = [];

beforeAll(async () => {
  const databaseUrl = await createTestDatabase();
  const config = testServiceConfig(saporService, { databaseUrl, users: { [users.admin]: ['admin'] } });
  replicas = [await startTestService(saporService, config), await startTestService(saporService, config)];
});

afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.stop()));
});

it('a policy saved on one replica is evaluated at its new version by the other', async () => {
  const [a, b] = replicas.map((replica) => client(replica.url)) as [
    ReturnType<typeof client>,
    ReturnType<typeof client>,
  ];
  await savePolicy(a, 'flag', 'package isd.flag\n\nvalue := 1\n');
  expect((await b.asService('POST', '/v1/data/isd/flag/value', { input: {} })).body.result).toBe(1);
  await savePolicy(a, 'flag', 'package isd.flag\n\nvalue := 2\n');
  const second = await b.asService('POST', '/v1/data/isd/flag/value', { input: {} });
  expect(second.body.result).toBe(2);
  const decision = await b.asService('GET', `/api/v1/decisions/${second.body.decision_id}`);
  expect(decision.body.policies).toEqual([{ name: 'flag', version: 2 }]);
  expect((await b.asUser(users.admin, 'DELETE', '/api/v1/policies/flag')).status).toBe(204);
  expect((await a.asService('POST', '/v1/data/isd/flag/value', { input: {} })).body).toEqual({});
});

it('gates created on both replicas for the same stage are one decision', async () => {
  const payload = {
    application: 'app',
    executionId: 'exec-1',
    stageId: 'stage-1',
    policy: 'isd/flag/value',
    params: {},
  };
  const [first, second] = await Promise.all(
    replicas.map((replica) => client(replica.url).asService('POST', '/api/v1/policy-gates', payload)),
  );
  expect(first?.headers.get('location')).toBe(second?.headers.get('location'));
});
