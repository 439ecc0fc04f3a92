// values.schema.json (what helm lint/template/install enforce) against values.yaml, the ci values and
// values that must be refused; and the generated files (schemas, Spinnaker profiles, README tables)
// against their sources of truth.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { compileValuesSchema, mergeValues, readYamlMapping, renderChart, ValuesSchemaError } from './chart-renderer';
import { readValueParams, undocumentedValues } from './values-docs';

const chartsDir = path.resolve(__dirname, '..');
const charts = ['isd', 'isd-agent'] as const;

function defaults(chart: string): Record<string, unknown> {
  return readYamlMapping(path.join(chartsDir, chart, 'values.yaml'));
}

function problems(chart: string, override: unknown): string[] {
  return compileValuesSchema(path.join(chartsDir, chart))(mergeValues(defaults(chart), override));
}

describe.each(charts)('%s values.schema.json', (chart) => {
  const chartDir = path.join(chartsDir, chart);

  it('is strict at every level the chart owns', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as {
      additionalProperties: unknown;
    };
    expect(schema.additionalProperties).toBe(false);
  });

  it('accepts values.yaml alone and with each ci values file merged over it', () => {
    expect(compileValuesSchema(chartDir)(defaults(chart))).toEqual([]);
    const ciFiles = fs.readdirSync(path.join(chartDir, 'ci')).filter((file) => file.endsWith('-values.yaml'));
    expect(ciFiles.length).toBeGreaterThan(0);
    for (const file of ciFiles)
      expect([file, problems(chart, readYamlMapping(path.join(chartDir, 'ci', file)))]).toEqual([file, []]);
  });

  it('refuses a misspelt top-level key, naming it', () => {
    expect(problems(chart, { imagee: { tag: '1' } })).toEqual([
      expect.stringMatching(/must NOT have additional properties: imagee/),
    ]);
  });

  it('refuses the latest image tag', () => {
    expect(problems(chart, { image: { tag: 'latest' } })).toEqual([expect.stringMatching(/^\/image\/tag/)]);
  });

  it('refuses a misspelt key inside the service config (the zod schema is strict too)', () => {
    const override =
      chart === 'isd' ? { sapor: { config: { policy: { adminRole: ['x'] } } } } : { config: { poolsize: 3 } };
    expect(problems(chart, override).join('\n')).toMatch(/additional properties: (adminRole|poolsize)/);
  });

  it('makes helm-style rendering stop on schema errors before any template runs', () => {
    expect(() => renderChart(chartDir, [{ imagee: {} }])).toThrow(ValuesSchemaError);
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
    ['a key id that cannot travel in an env name', { controller: { tokenKeys: { keyIds: ['Key_1'] } } }, /keyIds\/0/],
    ['replicas as text', { visibility: { replicas: 'two' } }, /visibility\/replicas: must be integer/],
    [
      'a config value of the wrong type',
      { visibility: { config: { approvals: { defaultTimeoutMs: -1 } } } },
      /defaultTimeoutMs/,
    ],
    [
      'a URL that is not one',
      { visibility: { config: { sapor: { url: 'not a url' } } } },
      /sapor\/url: must match format "uri"/,
    ],
  ])('refuses %s', (_name, override, pattern) => {
    expect(problems('isd', override).join('\n')).toMatch(pattern);
  });

  it('accepts secrets arriving through extraEnv from a Secret', () => {
    expect(
      problems('isd', {
        sapor: { extraEnv: [{ name: 'SAPOR_GATE__PASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
      }),
    ).toEqual([]);
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
