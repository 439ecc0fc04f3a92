import { DEFAULT_RENDER_LIMITS, renderDefinitions } from './render';

const tree = (files: Record<string, string>) => new Map(Object.entries(files));

const deployModule = JSON.stringify({
  parameters: { account: {}, namespace: { default: 'default' }, replicas: { default: 2 } },
  template: {
    type: 'deployManifest',
    name: 'Deploy to {{ account }}',
    account: '{{account}}',
    namespaceOverride: '{{ namespace }}',
    replicas: '{{ replicas }}',
    note: 'literal \\{{ kept }}',
  },
});

describe('renderDefinitions', () => {
  it('renders JSON and YAML pipelines with modules, parameters, defaults and spread lists', () => {
    const result = renderDefinitions(
      tree({
        'modules/stages/deploy.json': deployModule,
        'modules/checks.yml': 'template:\n  - {type: wait, waitTime: 5}\n  - {type: checkPreconditions}\n',
        'web/deploy.yml': [
          'name: Deploy web',
          'stages:',
          '  - $module: stages/deploy',
          '    $with: {account: prod-east, replicas: 3}',
          '  - $module: checks',
          '    $spread: true',
        ].join('\n'),
        'api/release.json': JSON.stringify({ name: 'Release', application: 'api', stages: [] }),
        'README.md': '# not a pipeline',
        '.github/workflows/ci.yml': 'on: push',
        'renovate.json': '{}',
      }),
    );
    expect(result.errors).toEqual([]);
    const web = result.pipelines.find((pipeline) => pipeline.application === 'web')!;
    expect(web).toMatchObject({ name: 'Deploy web', file: 'web/deploy.yml' });
    expect(web.pipeline).toEqual({
      name: 'Deploy web',
      application: 'web',
      stages: [
        {
          type: 'deployManifest',
          name: 'Deploy to prod-east',
          account: 'prod-east',
          namespaceOverride: 'default',
          replicas: 3,
          note: 'literal {{ kept }}',
        },
        { type: 'wait', waitTime: 5 },
        { type: 'checkPreconditions' },
      ],
    });
    expect(result.pipelines.map((pipeline) => pipeline.application).sort()).toEqual(['api', 'web']);
  });

  it('names the file, line and problem of malformed JSON and YAML, and renders the other files', () => {
    const result = renderDefinitions(
      tree({
        'web/broken.json': '{\n  "name": "x",\n  "stages": [,]\n}',
        'web/broken.yml': 'name: x\nstages:\n  - a\n - b\n',
        'web/dup.yml': 'name: x\nname: y\n',
        'web/fine.yml': 'name: Fine',
      }),
    );
    expect(result.pipelines.map((pipeline) => pipeline.name)).toEqual(['Fine']);
    const byFile = Object.fromEntries(result.errors.map((error) => [error.file, error]));
    expect(byFile['web/broken.json']).toMatchObject({ line: 3, message: expect.stringMatching(/not valid JSON/) });
    expect(byFile['web/broken.yml']).toMatchObject({ line: 4, message: expect.stringMatching(/not valid YAML/) });
    expect(byFile['web/dup.yml']).toMatchObject({ line: 2, message: expect.stringMatching(/unique/i) });
  });

  it('refuses unknown modules and parameters, missing ones, ids and other applications, naming path and line', () => {
    const result = renderDefinitions(
      tree({
        'modules/deploy.json': deployModule,
        'web/a.yml': 'name: A\nstages:\n  - $module: nope\n',
        'web/b.yml': 'name: B\nstages:\n  - $module: deploy\n    $with: {acount: x}\n',
        'web/c.yml': 'name: C\nstages:\n  - $module: deploy\n',
        'web/d.yml': 'name: D\nid: 1234\n',
        'web/e.yml': 'name: E\napplication: billing\n',
        'web/f.yml': 'name: F\ndescription: "{{ account }}"\n',
        'web/g.yml': 'stages: []\n',
      }),
    );
    expect(result.pipelines).toEqual([]);
    const byFile = Object.fromEntries(result.errors.map((error) => [error.file, error]));
    expect(byFile['web/a.yml']).toMatchObject({
      path: '$.stages[0].$module',
      line: 3,
      message: expect.stringMatching(/no module "nope"/),
    });
    expect(byFile['web/b.yml']).toMatchObject({
      path: '$.stages[0].$with.acount',
      line: 4,
      message: expect.stringMatching(/no parameter acount/),
    });
    expect(byFile['web/c.yml']).toMatchObject({ message: 'module deploy needs parameter account' });
    expect(byFile['web/d.yml']).toMatchObject({ path: '$.id', line: 2 });
    expect(byFile['web/e.yml']).toMatchObject({ path: '$.application', message: expect.stringMatching(/folder web/) });
    expect(byFile['web/f.yml']).toMatchObject({
      path: '$.description',
      message: expect.stringMatching(/unknown parameter account/),
    });
    expect(byFile['web/g.yml']).toMatchObject({ path: '$.name' });
  });

  it('reports a problem inside a module in the module file with its line', () => {
    const result = renderDefinitions(
      tree({
        'modules/bad.yml': 'parameters:\n  a: {}\ntemplate:\n  x: "{{ a }}"\n  y: "{{ b }}"\n',
        'web/p.yml': 'name: P\nstages:\n  - $module: bad\n    $with: {a: 1}\n',
      }),
    );
    expect(result.errors).toEqual([
      expect.objectContaining({
        file: 'modules/bad.yml',
        line: 5,
        path: '$.template.y',
        message: expect.stringMatching(/unknown parameter b/),
      }),
    ]);
  });

  it('stops module cycles, deep nesting and exponential fan-out', () => {
    const files: Record<string, string> = {
      'modules/a.json': JSON.stringify({ template: { $module: 'b' } }),
      'modules/b.json': JSON.stringify({ template: { $module: 'a' } }),
      'web/cycle.json': JSON.stringify({ name: 'cycle', stages: [{ $module: 'a' }] }),
      'web/bomb.json': JSON.stringify({ name: 'bomb', stages: { $module: 'l0' } }),
    };
    // Ten includes per level, eight levels: 10^8 leaves if nothing stopped it.
    for (let level = 0; level < 8; level++)
      files[`modules/l${level}.json`] = JSON.stringify({
        template: Array.from({ length: 10 }, () => ({ $module: `l${level + 1}` })),
      });
    files['modules/l8.json'] = JSON.stringify({ template: 'leaf' });
    const result = renderDefinitions(tree(files));
    const byFile = (needle: RegExp) => result.errors.find((error) => needle.test(error.message));
    expect(byFile(/module cycle: a → b → a/)).toBeDefined();
    expect(byFile(new RegExp(`more than ${DEFAULT_RENDER_LIMITS.maxNodes} values`))).toBeDefined();
    expect(result.pipelines).toEqual([]);

    const deep: Record<string, string> = { 'web/deep.json': JSON.stringify({ name: 'deep', x: { $module: 'm0' } }) };
    for (let level = 0; level < 15; level++)
      deep[`modules/m${level}.json`] = JSON.stringify({ template: { $module: `m${level + 1}` } });
    deep['modules/m15.json'] = JSON.stringify({ template: 1 });
    expect(renderDefinitions(tree(deep)).errors[0]!.message).toMatch(/nest deeper than 10/);
  });

  it('stops a string doubled through nested modules before it is built (was: 100 MB from a 1 KB tree)', () => {
    // Each level passes its parameter on twice over: 2^10 copies of a 100 KB argument.
    const files: Record<string, string> = {
      'modules/d0.json': JSON.stringify({ parameters: { s: {} }, template: '{{s}}{{s}}' }),
      'web/doubled.json': JSON.stringify({ name: 'doubled', x: { $module: 'd9', $with: { s: 'a'.repeat(100_000) } } }),
    };
    for (let level = 1; level <= 9; level++)
      files[`modules/d${level}.json`] = JSON.stringify({
        parameters: { s: {} },
        template: { $module: `d${level - 1}`, $with: { s: '{{s}}{{s}}' } },
      });
    const result = renderDefinitions(tree(files));
    expect(result.pipelines).toEqual([]);
    expect(result.errors).toEqual([
      expect.objectContaining({
        message: `the pipeline expands to more than ${DEFAULT_RENDER_LIMITS.maxPipelineBytes} characters of text`,
      }),
    ]);
  });

  it('pays for a shared parameter value at every reference (was: 10^8 values behind 2 × 10^4 nodes)', () => {
    // A list of 10,000 values, referenced 100 times a level over two levels of modules.
    const times = (count: number, item: unknown) => Array.from({ length: count }, () => item);
    const files: Record<string, string> = {
      'modules/r0.json': JSON.stringify({ parameters: { v: {} }, template: times(100, '{{ v }}') }),
      'modules/r1.json': JSON.stringify({
        parameters: { v: {} },
        template: times(100, { $module: 'r0', $with: { v: '{{ v }}' } }),
      }),
      'web/shared.json': JSON.stringify({ name: 'shared', x: { $module: 'r1', $with: { v: times(10_000, 1) } } }),
    };
    const result = renderDefinitions(tree(files));
    expect(result.pipelines).toEqual([]);
    expect(result.errors).toEqual([
      expect.objectContaining({
        message: `the pipeline expands to more than ${DEFAULT_RENDER_LIMITS.maxNodes} values`,
      }),
    ]);
  });

  it('bounds what all pipelines of a tree expand to together, and then renders none of them', () => {
    // Each file stops at maxNodes, but 200 of them once cost 200 × maxNodes (23 s of sapor's one thread).
    const modules: Record<string, string> = { 'modules/l4.json': JSON.stringify({ template: 'leaf' }) };
    for (let level = 0; level < 4; level++)
      modules[`modules/l${level}.json`] = JSON.stringify({
        template: Array.from({ length: 10 }, () => ({ $module: `l${level + 1}` })),
      });
    const pipeline = (n: number) => JSON.stringify({ name: `p${n}`, s: { $module: 'l0' } });
    const files: Record<string, string> = { ...modules };
    for (let n = 0; n < 30; n++) files[`web/p${n}.json`] = pipeline(n);
    const limits = { ...DEFAULT_RENDER_LIMITS, maxTreeNodes: 200_000 };
    // One such file fits (10^4 leaves and the lists around them); thirty do not.
    expect(renderDefinitions(tree({ ...modules, 'web/p0.json': pipeline(0) }), limits).pipelines).toHaveLength(1);
    expect(renderDefinitions(tree(files), limits)).toEqual({
      pipelines: [],
      errors: [
        {
          file: '.',
          message:
            "the tree's pipelines expand to more than 200000 values together (pipelinesAsCode.limits.maxTreeNodes)",
        },
      ],
    });
    const text: Record<string, string> = {};
    for (let n = 0; n < 3; n++) text[`web/t${n}.json`] = JSON.stringify({ name: `t${n}`, s: 'a'.repeat(1_000) });
    expect(renderDefinitions(tree(text), { ...DEFAULT_RENDER_LIMITS, maxTreeBytes: 2_500 }).errors).toEqual([
      {
        file: '.',
        message:
          "the tree's pipelines expand to more than 2500 characters of text together (pipelinesAsCode.limits.maxTreeBytes)",
      },
    ]);
    expect(renderDefinitions(tree(text), { ...DEFAULT_RENDER_LIMITS, maxTreeBytes: 3_100 }).pipelines).toHaveLength(3);
  });

  it('bounds YAML aliases, file sizes and file counts', () => {
    const aliases = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 12; level++)
      aliases.push(
        `${'b'.repeat(level)}: &${'b'.repeat(level)} [${Array(9)
          .fill(level === 1 ? '*a' : `*${'b'.repeat(level - 1)}`)
          .join(', ')}]`,
      );
    aliases.push('name: laughs');
    const limits = { ...DEFAULT_RENDER_LIMITS, maxFileBytes: 5_000, maxFiles: 3 };
    const result = renderDefinitions(
      tree({ 'web/laughs.yml': aliases.join('\n'), 'web/big.json': `{"name": "${'x'.repeat(6_000)}"}` }),
      limits,
    );
    expect(result.errors.find((error) => error.file === 'web/laughs.yml')?.message).toMatch(/alias/i);
    expect(result.errors.find((error) => error.file === 'web/big.json')?.message).toMatch(/larger than 5000 bytes/);
    const many = renderDefinitions(
      tree(Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`web/p${i}.yml`, `name: p${i}`]))),
      limits,
    );
    expect(many.errors[0]!.message).toMatch(/at most 3/);
  });

  it('refuses two pipelines of one application whose names differ only in case', () => {
    const result = renderDefinitions(
      tree({ 'web/a.yml': 'name: Deploy', 'web/b.yml': 'name: deploy', 'api/c.yml': 'name: Deploy' }),
    );
    expect(result.pipelines.map((pipeline) => pipeline.file)).toEqual(['api/c.yml']);
    expect(result.errors.map((error) => error.file).sort()).toEqual(['web/a.yml', 'web/b.yml']);
  });
});
