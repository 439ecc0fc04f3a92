// The ten example policies, compiled once, on realistic Spinnaker pipeline and execution JSON.
import { compile } from '@isd/rego';
import { exampleCases, exampleModules } from './example-cases';

const compiled = compile(exampleModules());

describe('example policies', () => {
  it.each(exampleCases().map((example) => [example.name, example] as const))('%s', (_name, example) => {
    expect(
      compiled.evaluate(example.document, {
        input: example.input,
        nowNs: example.nowNs,
        budget: { maxSteps: 100_000, timeoutMs: 1_000 },
      }),
    ).toEqual(example.expected);
  });

  it('every example passes its own test_* rules', () => {
    const results = compiled.runTests();
    expect(results.length).toBeGreaterThanOrEqual(30);
    expect(results.filter((result) => !result.passed)).toEqual([]);
  });
});
