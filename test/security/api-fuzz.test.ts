// Schemathesis fuzzes every operation of each gate service's /openapi.json against the real service on its
// embedded PGlite default: generated valid and invalid inputs, checked for server errors, undocumented status
// codes and content types, answers that break their documented schema, invalid input that is accepted,
// and ignored authentication. Any finding fails the test with Schemathesis's report.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { TEST_GATE_TOKEN, TEST_SERVICE_TOKEN, repoRoot, requireTool } from '@isd/test-support';
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
 * are allowed a 400 per operation in api-fuzz.schemathesis.toml. Not yet said: autopilot's template bodies
 * (a stored template's {name, version} or an inline one, in POST /api/v1/verifications, argo/verifications,
 * test-verifications, templates, log-templates and their imports) are documented as any object and checked
 * in the handler; Schemathesis refuses so many of its bodies there that it reports only a "schema validation
 * mismatch" warning, not a failure. `allow_header_conformance` is off: a
 * literal route and a parameter route can share a path (POST /api/v1/policies/reload beside
 * GET /api/v1/policies/{name}), so OPTIONS rightly lists the methods of both.
 */
const EXCLUDED_CHECKS = ['allow_header_conformance'];

const schemathesis = requireTool('schemathesis');
type ServiceName = 'visibility' | 'autopilot' | 'sapor';
const services: Partial<Record<ServiceName, ServiceProcess>> = {};
/** The three runs, started together (they take half the time of one after another, even on 2 cores). */
const runs: Partial<Record<ServiceName, Promise<FuzzRun>>> = {};

beforeAll(async () => {
  const [visibility, autopilot, sapor] = await Promise.all([
    startServiceProcess('visibility', {}, { database: 'embedded' }),
    startServiceProcess('autopilot', {}, { database: 'embedded' }),
    startServiceProcess('sapor', { SAPOR_POLICY__ADMIN_ROLES: '[admins]' }, { database: 'embedded' }),
  ]);
  Object.assign(services, { visibility, autopilot, sapor });
  for (const [name, service] of Object.entries(services)) runs[name as ServiceName] = fuzz(service);
});

afterAll(async () => {
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
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, report: `${report}\n${error.message}` }));
    child.once('close', (code) => resolve({ code, report }));
  });
}

describe.each(['visibility', 'autopilot', 'sapor'] as const)('%s', (name) => {
  it('answers every generated request as its OpenAPI document says, never with a server error', async () => {
    const service = services[name]!;
    const { code, report } = await runs[name]!;
    if (code !== 0) throw new Error(`schemathesis found problems in ${name} (exit ${code}):\n${report}`);
    expect(report).toMatch(/\d+ generated, \d+ passed/);
    expect(service.child.child.exitCode).toBeNull();
  });
});
