// `npm run fuzz:rego -- --seconds N [--seed S]`: compares our Rego engine with the real opa on generated
// programs for N seconds (default 60) and prints each difference as a minimal reproducer. Exit 1 when
// one is found (known OPA bugs are listed apart), 2 on bad arguments.
import { parseArgs } from 'node:util';
import { describeDifference, OpaServer, runDifferential } from '@isd/test/rego-differential/differential';
import { KNOWN_OPA_BUGS } from '@isd/test/rego-differential/known-opa-bugs';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string' } },
    }));
  } catch (err) {
    console.error(`fuzz:rego: ${(err as Error).message}`);
    return 2;
  }
  const seconds = Number(values.seconds);
  const seed = values.seed === undefined ? Date.now() % 1_000_000 : Number(values.seed);
  if (!Number.isFinite(seconds) || seconds <= 0 || !Number.isInteger(seed)) {
    console.error('fuzz:rego: --seconds must be a positive number and --seed an integer');
    return 2;
  }
  const opa = await OpaServer.start();
  try {
    const started = Date.now();
    const run = await runDifferential(opa, {
      seed,
      deadline: started + seconds * 1000,
      onProgress: (done) => process.stderr.write(`\r${done} programs`),
    });
    process.stderr.write('\n');
    const known = new Set(KNOWN_OPA_BUGS.map((b) => b.module));
    const unexpected = run.differences.filter((d) => !known.has(d.reproducer));
    for (const d of unexpected) console.log(describeDifference(d));
    console.log(
      JSON.stringify({
        seed,
        programs: run.programs,
        rejectedByOpa: run.invalid,
        differences: unexpected.length,
        knownOpaBugs: run.differences.length - unexpected.length,
        seconds: Math.round((Date.now() - started) / 1000),
      }),
    );
    return unexpected.length > 0 ? 1 : 0;
  } finally {
    await opa.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
