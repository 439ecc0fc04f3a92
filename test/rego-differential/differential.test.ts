// Our Rego engine against the real `opa` on a fixed seed of generated programs (see generator.ts):
// any difference in result, error class or undefined-ness fails with a minimal reproducer.
import { describeDifference, OpaServer, runDifferential } from './differential';
import { KNOWN_OPA_BUGS } from './known-opa-bugs';

const SEED = 1;
const PROGRAMS = 3000;

describe('Rego engine vs opa (differential)', () => {
  let opa: OpaServer;
  beforeAll(async () => {
    opa = await OpaServer.start();
  }, 60_000);
  afterAll(async () => {
    await opa?.stop();
  });

  it(`gives OPA's answer on ${PROGRAMS} generated programs (seed ${SEED})`, async () => {
    const run = await runDifferential(opa, { seed: SEED, count: PROGRAMS });
    const known = new Set(KNOWN_OPA_BUGS.map((b) => b.module));
    const unexpected = run.differences.filter((d) => !known.has(d.reproducer)).map(describeDifference);
    expect(unexpected).toEqual([]);
    expect(run.programs).toBe(PROGRAMS);
    // Most programs must be ones OPA accepts, or the comparison says little.
    expect(run.invalid / run.programs).toBeLessThan(0.3);
  }, 180_000);
});
