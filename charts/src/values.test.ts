// values.schema.json as the real helm enforces it (lint, template and install validate the merged values)
// against values.yaml, the ci values and values that must be refused; and the generated files (schemas,
// Spinnaker profiles, README tables) against their sources of truth.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { helm, HelmError, renderChart, valuesFileArgs } from './helm';
import { readValueParams, undocumentedValues } from './values-docs';

const chartsDir = path.resolve(__dirname, '..');
const charts = ['isd', 'isd-agent'] as const;

/** What `helm lint --strict` says about the chart with `override` merged over values.yaml ('' = nothing). */
async function problems(chart: string, override: unknown): Promise<string> {
  const values = valuesFileArgs([override]);
  try {
    await helm(['lint', '--strict', path.join(chartsDir, chart), ...values.args]);
    return '';
  } catch (error) {
    if (!(error instanceof HelmError)) throw error;
    return error.output;
  } finally {
    values.cleanup();
  }
}

describe.each(charts)('%s values.schema.json', (chart) => {
  const chartDir = path.join(chartsDir, chart);

  it('is strict at every level the chart owns', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as {
      additionalProperties: unknown;
    };
    expect(schema.additionalProperties).toBe(false);
  });

  it('passes helm lint --strict with values.yaml alone and with each ci values file', async () => {
    expect(await problems(chart, {})).toBe('');
    const ciFiles = fs.readdirSync(path.join(chartDir, 'ci')).filter((file) => file.endsWith('-values.yaml'));
    expect(ciFiles.length).toBeGreaterThan(0);
    for (const file of ciFiles) {
      const output = await helm(['lint', '--strict', chartDir, '-f', path.join(chartDir, 'ci', file)]);
      expect(output).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('refuses a misspelt top-level key, naming it', async () => {
    expect(await problems(chart, { imagee: { tag: '1' } })).toMatch(/additional propert.*imagee/);
  });

  it('refuses the latest image tag', async () => {
    expect(await problems(chart, { image: { tag: 'latest' } })).toMatch(/\/image\/tag/);
  });

  it('refuses a misspelt key inside the service config (the zod schema is strict too)', async () => {
    const override =
      chart === 'isd' ? { sapor: { config: { policy: { adminRole: ['x'] } } } } : { config: { poolsize: 3 } };
    expect(await problems(chart, override)).toMatch(/additional propert.*(adminRole|poolsize)/);
  });

  it('makes rendering stop on schema errors before any template runs', async () => {
    await expect(renderChart(chartDir, [{ imagee: {} }])).rejects.toThrow(/values don't meet the specifications/);
  });

  it('documents every value with an @param line', () => {
    const text = fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8');
    expect(undocumentedValues(text)).toEqual([]);
    expect(readValueParams(text).length).toBeGreaterThan(10);
  });
});

describe('isd values refused by the schema', () => {
  it.each([
    [
      'a plaintext service token',
      { visibility: { config: { auth: { serviceToken: 'x'.repeat(32) } } } },
      /serviceToken/,
    ],
    ['a plaintext database URL', { sapor: { config: { database: { url: 'postgres://u:p@h/db' } } } }, /url/],
    ['a plaintext Gate password', { sapor: { config: { gate: { password: 'hunter2hunter2' } } } }, /password/],
    [
      'a plaintext provider password',
      { autopilot: { config: { providers: { p: { type: 'prometheus', url: 'http://p:9090', password: 'x' } } } } },
      /password|anyOf|oneOf/,
    ],
    ['a CA path the chart owns', { controller: { config: { caCertFile: '/x' } } }, /caCertFile/],
    ['an unbounded /tmp', { volumeSizeLimits: { tmp: null } }, /volumeSizeLimits.*tmp/],
    ['a scratch size that is not a binary size', { volumeSizeLimits: { state: '1GB' } }, /volumeSizeLimits\/state/],
    ['a key id that cannot travel in an env name', { controller: { tokenKeys: { keyIds: ['Key_1'] } } }, /keyIds\/0/],
    ['replicas as text', { visibility: { replicas: 'two' } }, /'\/visibility\/replicas': got string, want integer/],
    [
      'a config value of the wrong type',
      { visibility: { config: { approvals: { defaultTimeoutMs: -1 } } } },
      /defaultTimeoutMs/,
    ],
    [
      'a URL that is not one',
      { visibility: { config: { sapor: { url: 'not a url' } } } },
      /'\/visibility\/config\/sapor\/url': 'not a url' is not valid uri/,
    ],
  ])('refuses %s', async (_name, override, pattern) => {
    expect(await problems('isd', override)).toMatch(pattern);
  });

  it('accepts secrets arriving through extraEnv from a Secret', async () => {
    expect(
      await problems('isd', {
        sapor: { extraEnv: [{ name: 'SAPOR_GATE__PASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
      }),
    ).toBe('');
  });
});

describe('generated files', () => {
  // A child process, because prettier (which formats them) loads its plugins with dynamic import().
  it('are up to date: schemas, Spinnaker profiles, README value tables (else run `npm run generate -w charts`)', () => {
    const tsx = path.join(chartsDir, '..', 'node_modules', '.bin', 'tsx');
    const result = spawnSync(tsx, ['--tsconfig', '../tsconfig.json', 'scripts/generate.ts', '--check'], {
      cwd: chartsDir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stdout).toBe('all generated files are up to date\n');
    expect(result.status).toBe(0);
  });
});
