// Schemathesis fuzzes every operation of each gate service's /openapi.json against the real service on its
// embedded PGlite default: generated valid and invalid inputs, checked for server errors, undocumented status
// codes and content types, answers that break their documented schema, invalid input that is accepted,
// and ignored authentication. Any finding fails the test with Schemathesis's report.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TEST_GATE_TOKEN, TEST_SERVICE_TOKEN, freePort, repoRoot, requireTool } from '@isd/test-support';
import { startServiceProcess, type ServiceProcess } from './services';

jest.setTimeout(300_000);

/** Examples per operation and phase: enough to reach every field's edge cases, small enough for 2 cores. */
const EXAMPLES_PER_OPERATION = 10;
/** Fixed, so a failure in CI reproduces locally with the same inputs. */
const SEED = 20261207;
const CONFIG_FILE = path.join(__dirname, 'api-fuzz.schemathesis.toml');
/**
 * The documents say every rule the services check that JSON Schema can say, so `positive_data_acceptance` runs:
 * a schema-valid request must not be refused. The few refusals JSON Schema cannot say (a peer not configured
 * here, a cursor from a previous page, `from` before `to`, a log mark's derived key, JSON text in a query)
 * are allowed a 400 per operation in api-fuzz.schemathesis.toml. An operation that refuses every generated
 * request with a 400 is only a "schema validation mismatch" warning to Schemathesis, not a failure: here it fails
 * the test (the document does not say what the service checks), except for the operations in
 * MISMATCH_EXPECTED. `allow_header_conformance` is off: a
 * literal route and a parameter route can share a path (POST /api/v1/policies/reload beside
 * GET /api/v1/policies/{name}), so OPTIONS rightly lists the methods of both.
 */
const EXCLUDED_CHECKS = ['allow_header_conformance'];
type ServiceName = 'visibility' | 'autopilot' | 'sapor';
/**
 * Operations whose generated requests may all be refused for a reason the document cannot say or does not say
 * yet (each operation's 400 lists it), by service:
 * - visibility: the external stages need their peer configured, which this run leaves unset.
 * - autopilot: the imports take foreign documents (a Kayenta canary config, OpsMx templates) that their importers
 *   check field by field, documented as any object; a log template's `provider` must name one of the service's
 *   log provider accounts, which the document does not list; a verification must also name a stored template,
 *   hold the scope labels its queries read, keep intervalMs within lifetimeMs and the configured limits and
 *   startTime near now, which few generated bodies do.
 * - sapor: a list's `cursor` must come from a previous page; a policy check's source must be Rego that compiles.
 */
const MISMATCH_EXPECTED: Record<ServiceName, string[]> = {
  visibility: [
    'POST /api/v1/awx-jobs',
    'POST /api/v1/jira-issues',
    'POST /api/v1/servicenow-changes',
    'POST /api/v1/terraform-runs',
  ],
  autopilot: [
    'POST /api/v1/templates/import/{format}',
    'POST /api/v1/log-templates/import/{format}',
    'POST /api/v1/log-templates',
    'POST /api/v1/verifications',
    'POST /api/v1/argo/verifications',
  ],
  sapor: ['GET /api/v1/accounts', 'POST /api/v1/policies/{name}/check'],
};

const schemathesis = requireTool('schemathesis');
const services: Partial<Record<ServiceName, ServiceProcess>> = {};
/** The three runs, started together (they take half the time of one after another, even on 2 cores). */
const runs: Partial<Record<ServiceName, Promise<FuzzRun>>> = {};
/** The Schemathesis processes still running: a test that timed out must not leave them behind. */
const fuzzers = new Set<ChildProcess>();

beforeAll(async () => {
  // Autopilot gets a metrics provider, a log provider and a Jenkins account whose servers do not run here: a
  // template or verification needs them configured, their queries are then not checked (as when they are down),
  // and a started verification ends in error.
  const absentServer = `http://127.0.0.1:${await freePort()}`;
  const started = await Promise.allSettled([
    startServiceProcess('visibility', {}, { database: 'embedded' }),
    startServiceProcess(
      'autopilot',
      {
        AUTOPILOT_PROVIDERS: JSON.stringify({ prom: { type: 'prometheus', url: absentServer } }),
        AUTOPILOT_LOG_PROVIDERS: JSON.stringify({ logs: { type: 'loki', url: absentServer } }),
        AUTOPILOT_TEST_SOURCES: JSON.stringify({ ci: { type: 'jenkins', url: absentServer } }),
        AUTOPILOT_ANALYSIS__PROVIDER_ATTEMPTS: '1',
        // The fuzzer writes templates and marks as one user far faster than a person: the rate limit
        // (user-limits.test.ts) would turn valid requests into 429s, which is not what this run checks.
        AUTOPILOT_USER_WRITES__PER_MINUTE: '100000',
      },
      { database: 'embedded' },
    ),
    startServiceProcess(
      'sapor',
      // As for autopilot: the fuzzer checks pipelines and saves policies far faster than a person.
      { SAPOR_POLICY__ADMIN_ROLES: '[admins]', SAPOR_USER_WRITES__PER_MINUTE: '100000' },
      { database: 'embedded' },
    ),
  ]);
  // The services that did start are stopped by afterAll even when another one failed to.
  (['visibility', 'autopilot', 'sapor'] as const).forEach((name, index) => {
    const result = started[index]!;
    if (result.status === 'fulfilled') services[name] = result.value;
  });
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  for (const [name, service] of Object.entries(services)) runs[name as ServiceName] = fuzz(service);
});

afterAll(async () => {
  for (const fuzzer of fuzzers) fuzzer.kill('SIGKILL');
  await Promise.all(Object.values(services).map((service) => service.stop()));
});

interface FuzzRun {
  code: number | null;
  report: string;
}

/**
 * Runs Schemathesis against one service's document; resolves (never rejects: the runs are awaited one
 * test at a time) with its exit code and everything it printed.
 */
function fuzz(service: ServiceProcess): Promise<FuzzRun> {
  const child = spawn(
    schemathesis,
    [
      '--config-file',
      CONFIG_FILE,
      'run',
      `${service.url}/openapi.json`,
      '--checks',
      'all',
      '--exclude-checks',
      EXCLUDED_CHECKS.join(','),
      '--max-examples',
      String(EXAMPLES_PER_OPERATION),
      '--seed',
      String(SEED),
      // Orca's service token and Gate's credential for root (an admin): every operation is reachable, and the
      // ignored_auth check still sends requests without them.
      '--header',
      `X-ISD-Service-Token: ${TEST_SERVICE_TOKEN}`,
      '--header',
      `X-ISD-Gate-Token: ${TEST_GATE_TOKEN}`,
      '--header',
      'X-SPINNAKER-USER: root',
      '--request-timeout',
      '30',
      '--no-color',
    ],
    { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let report = '';
  child.stdout.on('data', (chunk: Buffer) => (report += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (report += chunk.toString()));
  fuzzers.add(child);
  child.once('close', () => fuzzers.delete(child));
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, report: `${report}\n${error.message}` }));
    child.once('close', (code) => resolve({ code, report }));
  });
}

/** The operations of Schemathesis's "Schema validation mismatch" warning (every generated request refused). */
function mismatchedOperations(report: string): string[] {
  const section = /^Schema validation mismatch:.*\n((?:\s+- .*\n)+)/m.exec(report);
  return section ? [...section[1]!.matchAll(/- (.+)/g)].map((match) => match[1]!.trim()) : [];
}

describe.each(['visibility', 'autopilot', 'sapor'] as const)('%s', (name) => {
  it('answers every generated request as its OpenAPI document says, never with a server error', async () => {
    const service = services[name]!;
    const { code, report } = await runs[name]!;
    if (code !== 0) throw new Error(`schemathesis found problems in ${name} (exit ${code}):\n${report}`);
    const mismatched = mismatchedOperations(report).filter((operation) => !MISMATCH_EXPECTED[name].includes(operation));
    if (mismatched.length)
      throw new Error(`${name} refused every generated request of ${mismatched.join(', ')}:\n${report}`);
    expect(report).toMatch(/\d+ generated, \d+ passed/);
    expect(service.child.child.exitCode).toBeNull();
  });
});
