// logpai's log-parsing metrics as the Loghub-2.0 evaluator computes them
// (logpai/loghub-2.0 benchmark/logparser/utils/evaluator.py, benchmark/evaluation/utils/PA_calculator.py and
// template_level_analysis.py): lines are aligned by position and grouped by their EventTemplate text, on
// both the ground-truth and the parser's side.

export interface Accuracy {
  /** Grouping accuracy: lines whose parsed group has exactly the lines of their true group. */
  ga: number;
  /** Parsing accuracy: lines whose template text equals the true one. */
  pa: number;
  /** F1 over templates correctly grouped (PGA: over parsed groups, RGA: over true groups). */
  fga: number;
  /** F1 over templates correctly grouped and with exactly the true text. */
  fta: number;
  parsedTemplates: number;
  trueTemplates: number;
}

export function evaluate(truth: readonly string[], parsed: readonly string[]): Accuracy {
  if (truth.length !== parsed.length)
    throw new Error(`evaluate: ${truth.length} ground-truth lines but ${parsed.length} parsed lines`);
  const n = truth.length;
  const parsedSizes = countBy(parsed);
  const truthSizes = countBy(truth);

  // GA and FGA: for each true group, the lines count when they all went to one parsed group that holds
  // nothing else.
  const parsedOfTruth = new Map<string, Map<string, number>>();
  for (let i = 0; i < n; i++) {
    const inner = parsedOfTruth.get(truth[i]!) ?? new Map<string, number>();
    inner.set(parsed[i]!, (inner.get(parsed[i]!) ?? 0) + 1);
    parsedOfTruth.set(truth[i]!, inner);
  }
  let accurateLines = 0;
  let accurateGroups = 0;
  for (const [trueTemplate, parsedCounts] of parsedOfTruth) {
    if (parsedCounts.size !== 1) continue;
    const [parsedTemplate] = parsedCounts.keys();
    if (parsedSizes.get(parsedTemplate!) === truthSizes.get(trueTemplate)) {
      accurateLines += truthSizes.get(trueTemplate)!;
      accurateGroups++;
    }
  }
  const fga = f1(accurateGroups / parsedSizes.size, accurateGroups / truthSizes.size);

  // PA: exact text per line.
  let exact = 0;
  for (let i = 0; i < n; i++) if (truth[i] === parsed[i]) exact++;

  // FTA: a parsed template is right when all its lines have one true template equal to its text.
  const truthOfParsed = new Map<string, Set<string>>();
  for (let i = 0; i < n; i++) {
    const inner = truthOfParsed.get(parsed[i]!) ?? new Set<string>();
    inner.add(truth[i]!);
    truthOfParsed.set(parsed[i]!, inner);
  }
  let rightTemplates = 0;
  for (const [parsedTemplate, trueTemplates] of truthOfParsed)
    if (trueTemplates.size === 1 && trueTemplates.has(parsedTemplate)) rightTemplates++;
  const fta = f1(rightTemplates / truthOfParsed.size, rightTemplates / truthSizes.size);

  return {
    ga: accurateLines / n,
    pa: exact / n,
    fga,
    fta,
    parsedTemplates: parsedSizes.size,
    trueTemplates: truthSizes.size,
  };
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

const f1 = (precision: number, recall: number) =>
  precision === 0 && recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
