// Judge selection by name, as a verification request names it (`isd` by default).
import { createIsdJudge } from './isd-judge';
import { createKayentaJudge } from './kayenta-judge';
import { JudgeInputError, type Judge } from './model';

/** The judges a verification can ask for. */
export const JUDGE_NAMES = ['isd', 'kayenta'] as const;
/** Name of a judge. */
export type JudgeName = (typeof JUDGE_NAMES)[number];

/** Returns the judge called `name` (default `isd`); an unknown name is an input error on field `judge`. */
export function createJudge(name: string = 'isd'): Judge {
  if (name === 'isd') return createIsdJudge();
  if (name === 'kayenta') return createKayentaJudge();
  throw new JudgeInputError([
    { path: 'judge', message: `must be one of ${JUDGE_NAMES.join(', ')} (got ${JSON.stringify(name)})` },
  ]);
}
