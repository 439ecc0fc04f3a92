// Pipelines as code renders a tree before anything else is checked: a dry run of an uploaded tree is rendered
// for any user, even one who may read nothing (the 403 for an application the tree defines comes after). The
// renderer counted values but not characters, and a parameter's value, shared where it is referenced, was
// paid for once: modules that pass a 1 KB string on four times over, ten levels deep, built strings until V8's
// longest (some 0.4 s and 500 MB of sapor's 768 MiB a pipeline file, each rendered twice: 25 such files in one
// 27 KB dry run held sapor's one thread 21 s, every policy gate waiting).
// Rendering now pays for every character and every reference, and stops at pipelinesAsCode.limits
// (maxPipelineBytes, maxNodes) before the text is built.
// Each file stopped at its own bound, but a tree of many paid for each in full: 2,000 files (150 KB) that
// include a ten-way fan-out of modules cost 2,000 × maxNodes, some 0.12 s each, twice (the dry run rendered the
// tree to check the caller's applications and again to plan). The whole tree now stops at maxTreeNodes and
// maxTreeBytes, and a dry run renders once.
import { startGateApi, type GateApiHarness } from '../harness/gate';
import { asUser, call, startServiceProcess, type ServiceProcess } from './services';

jest.setTimeout(120_000);

const PIPELINE_FILES = 25;

const GATE_USER = { username: 'sapor', password: 'internal-gate-password' };

let sapor: ServiceProcess;
let gate: GateApiHarness;

beforeAll(async () => {
  gate = await startGateApi({ basicAuthUsers: { [GATE_USER.username]: GATE_USER.password } });
  sapor = await startServiceProcess('sapor', {
    SAPOR_GATE__URL: gate.url,
    SAPOR_GATE__USERNAME: GATE_USER.username,
    SAPOR_GATE__PASSWORD: GATE_USER.password,
    SAPOR_PIPELINES_AS_CODE: JSON.stringify({ git: { url: 'file:///nonexistent/pipelines.git' }, syncIntervalMs: 0 }),
    // The isd chart's memory limit for sapor (768Mi).
    NODE_OPTIONS: '--max-old-space-size=768',
  });
});
afterAll(async () => {
  await sapor?.stop();
  await gate?.close();
});

/** Modules d0…d9, each passing its parameter on four times over: 4^10 copies of the argument (a GB of 1 KB). */
function doublingTree(): Record<string, string> {
  const files: Record<string, string> = {
    'modules/d0.json': JSON.stringify({ parameters: { s: {} }, template: '{{s}}{{s}}{{s}}{{s}}' }),
  };
  for (let level = 1; level <= 9; level++)
    files[`modules/d${level}.json`] = JSON.stringify({
      parameters: { s: {} },
      template: { $module: `d${level - 1}`, $with: { s: '{{s}}{{s}}{{s}}{{s}}' } },
    });
  for (let n = 0; n < PIPELINE_FILES; n++)
    files[`shop/p${n}.json`] = JSON.stringify({
      name: `p${n}`,
      x: { $module: 'd9', $with: { s: `${n}`.padEnd(1_000, 'a') } },
    });
  return files;
}

describe('a dry run of many files that each include a fan-out of modules', () => {
  it('renders nothing and names pipelinesAsCode.limits.maxTreeNodes, and sapor keeps answering', async () => {
    const files: Record<string, string> = { 'modules/l8.json': JSON.stringify({ template: 'leaf' }) };
    for (let level = 0; level < 8; level++)
      files[`modules/l${level}.json`] = JSON.stringify({
        template: Array.from({ length: 10 }, () => ({ $module: `l${level + 1}` })),
      });
    for (let n = 0; n < 200; n++) files[`shop/p${n}.json`] = JSON.stringify({ name: `p${n}`, s: { $module: 'l0' } });
    const answer = await call(sapor.url, 'POST', '/api/v1/pipelines-as-code/dry-run', asUser('mallory'), { files });
    expect(sapor.child.child.exitCode).toBeNull();
    expect([answer.status, answer.body.items, answer.body.errors]).toEqual([
      200,
      [],
      [
        {
          file: '.',
          message:
            "the tree's pipelines expand to more than 1000000 values together (pipelinesAsCode.limits.maxTreeNodes)",
        },
      ],
    ]);
    expect((await fetch(`${sapor.url}/healthz`)).status).toBe(200);
  });
});

describe('a dry run of a tree whose modules multiply a string through ten levels', () => {
  it('names the limit for every pipeline without building the text, and sapor keeps answering', async () => {
    const answer = await call(sapor.url, 'POST', '/api/v1/pipelines-as-code/dry-run', asUser('mallory'), {
      files: doublingTree(),
    });
    expect(sapor.child.child.exitCode).toBeNull();
    expect(answer.status).toBe(200);
    expect(answer.body.items).toEqual([]);
    expect(answer.body.errors).toHaveLength(PIPELINE_FILES);
    for (const error of answer.body.errors)
      expect(error.message).toBe('the pipeline expands to more than 1048576 characters of text');
    expect((await fetch(`${sapor.url}/healthz`)).status).toBe(200);
  });
});
