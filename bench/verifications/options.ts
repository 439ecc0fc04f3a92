// Command-line options of bench:verifications; a wrong one is an error naming it.
import { parseArgs } from 'node:util';

export interface Options {
  verifications: number;
  windows: number;
  windowSeconds: number;
  gates: number;
  expirySpreadSeconds: number;
  /** Replica counts to run in turn; the first must be 1 (the headline figures are one replica's). */
  replicaCounts: number[];
  expiry: boolean;
}

function replicaCounts(raw: string | undefined): number[] {
  if (raw === undefined) return [1, 2];
  const counts = raw.split(',').map(Number);
  if (counts[0] !== 1 || counts.some((n) => !Number.isInteger(n) || n < 1 || n > 8))
    throw new Error(`--replicas must be a comma-separated list of counts 1–8 starting with 1, got ${raw}`);
  return counts;
}

/** Parses the options; `--quick` is a small, short run for the benchmark's own test. */
export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      verifications: { type: 'string' },
      windows: { type: 'string' },
      'window-seconds': { type: 'string' },
      gates: { type: 'string' },
      'expiry-spread-seconds': { type: 'string' },
      replicas: { type: 'string' },
      'skip-expiry': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const quick = values.quick === true;
  const integer = (name: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
    return value;
  };
  return {
    verifications: integer('verifications', values.verifications, quick ? 30 : 2_000, 1),
    windows: integer('windows', values.windows, quick ? 1 : 2, 1),
    windowSeconds: integer('window-seconds', values['window-seconds'], quick ? 5 : 60, 1),
    gates: integer('gates', values.gates, quick ? 100 : 10_000, 1),
    expirySpreadSeconds: integer('expiry-spread-seconds', values['expiry-spread-seconds'], quick ? 5 : 60, 1),
    replicaCounts: replicaCounts(values.replicas),
    expiry: values['skip-expiry'] !== true,
  };
}
