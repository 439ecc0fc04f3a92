import { runConformance } from './conformance';
import { opaConformanceDir } from './opa-module';

// The pass rates recorded in README.md; CI must stay at or above them. `v0` holds the same kinds of cases
// written in pre-1.0 syntax (`deny[msg] { … }`, `import future.keywords.every`).
const RECORDED_PASS_RATE_FLOOR = { v1: 0.998, v0: 0.998 };
const CASES_AT_LEAST = { v1: 2000, v0: 2000 };

describe.each(['v1', 'v0'] as const)('OPA conformance suite, testdata/%s', (syntax) => {
  it('passes at least the recorded share of cases', () => {
    // The cases come from the pinned OPA Go module; a missing module throws naming the install script.
    const summary = runConformance(opaConformanceDir(syntax));
    const failing = Object.entries(summary.categories)
      .filter(([, c]) => c.failed > 0)
      .map(([name, c]) => `${name}: ${c.failed}`);
    expect({ passRate: summary.passRate >= RECORDED_PASS_RATE_FLOOR[syntax], failing }).toEqual({
      passRate: true,
      failing,
    });
    expect(summary.passed + summary.failed).toBeGreaterThan(CASES_AT_LEAST[syntax]);
  });
});
