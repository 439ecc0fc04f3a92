import { createRandom } from '../domain/random';
import { ALGORITHMS, analyzeLogs, SENSITIVITIES, type Algorithm, type LogAnalysisOptions } from './analysis';

// A seeded generator, so every property is checked on the same many cases each run.
function random(seed: number): () => number {
  const generator = createRandom(seed);
  return () => generator.next();
}

const INFO = (i: number) => `INFO request ${i} served in ${i % 97} ms for user u${i % 13}x`;
const WARN = (i: number) => `WARN cache miss ratio ${i % 50} above limit`;
const ERROR = (i: number) => `ERROR payment ${i} declined by gateway code ${i % 7}`;
const NEW_ERROR = (i: number) => `ERROR IllegalArgumentException: order ${i} has no items`;
const CRITICAL = (i: number) => `ERROR worker ${i} died: java.lang.OutOfMemoryError: Java heap space`;

function logs(counts: {
  info?: number;
  warn?: number;
  error?: number;
  newError?: number;
  critical?: number;
}): string[] {
  const lines: string[] = [];
  const add = (n: number | undefined, make: (i: number) => string) => {
    for (let i = 0; i < (n ?? 0); i++) lines.push(make(i * 31 + lines.length));
  };
  add(counts.info, INFO);
  add(counts.warn, WARN);
  add(counts.error, ERROR);
  add(counts.newError, NEW_ERROR);
  add(counts.critical, CRITICAL);
  return lines;
}

function shuffle<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const score = (baseline: string[], canary: string[], options: LogAnalysisOptions = {}) =>
  analyzeLogs(baseline, canary, options).score;

describe('log analysis', () => {
  it('finds the new exception in the canary, with counts and examples', () => {
    const analysis = analyzeLogs(logs({ info: 200, error: 4 }), logs({ info: 200, error: 4, newError: 6 }));
    const fresh = analysis.clusters.find((c) => c.kind === 'canary-only')!;
    expect(fresh.template).toBe('ERROR IllegalArgumentException: order <*> has no items');
    expect(fresh).toMatchObject({ topic: 'ERROR', baselineCount: 0, canaryCount: 6, unexpected: true });
    expect(fresh.examples.canary).toHaveLength(3);
    expect(analysis.score).toBeLessThan(100);
    expect(analysis.clusters.find((c) => c.template.startsWith('ERROR payment'))?.kind).toBe('both');
  });

  it('passes equal error rates with 100, and classifies clusters only in the baseline', () => {
    const analysis = analyzeLogs(logs({ info: 300, error: 9, warn: 3 }), logs({ info: 300, error: 9 }));
    expect(analysis.score).toBe(100);
    expect(analysis.failed).toBe(false);
    expect(analysis.clusters.find((c) => c.topic === 'WARN')?.kind).toBe('baseline-only');
  });

  it('counts a cluster in both versions only when its rate at least doubled (cardinality)', () => {
    const grown = analyzeLogs(logs({ info: 200, error: 5 }), logs({ info: 200, error: 20 }));
    expect(grown.clusters.find((c) => c.topic === 'ERROR')).toMatchObject({ kind: 'increased', unexpected: true });
    const noise = analyzeLogs(logs({ info: 200, error: 5 }), logs({ info: 200, error: 8 }));
    expect(noise.clusters.find((c) => c.topic === 'ERROR')).toMatchObject({ kind: 'both', unexpected: false });
    expect(noise.score).toBe(100);
  });

  it('does not count a doubling that chance explains: 1 → 4 lines of a critical cluster is a healthy canary', () => {
    const chance = analyzeLogs(logs({ info: 500, critical: 1 }), logs({ info: 500, critical: 4 }));
    expect(chance.clusters.find((c) => c.topic === 'CRITICAL')).toMatchObject({ kind: 'both', unexpected: false });
    expect(chance).toMatchObject({ failed: false, score: 100 });
    // The same rates with ten times the events are no longer chance.
    const sure = analyzeLogs(logs({ info: 5000, critical: 10 }), logs({ info: 5000, critical: 40 }));
    expect(sure.clusters.find((c) => c.topic === 'CRITICAL')).toMatchObject({ kind: 'increased', critical: true });
    expect(sure.failed).toBe(true);
  });

  it('fails the run on a critical cluster, whatever the algorithm', () => {
    for (const algorithm of ALGORITHMS) {
      // Four lines: at an even split up to three new lines are what chance does (decision 185).
      const analysis = analyzeLogs(logs({ info: 100 }), logs({ info: 100, critical: 4 }), { algorithm });
      expect(analysis).toMatchObject({ failed: true, score: 0 });
      expect(analysis.reasons[0]).toMatch(/critical topic: .*OutOfMemoryError/);
    }
  });

  it('applies feedback marks: expected and ignorable clusters cost nothing, critical ones fail', () => {
    const baseline = logs({ info: 100 });
    const canary = logs({ info: 100, newError: 5 });
    const template = 'ERROR IllegalArgumentException: order <*> has no items';
    expect(score(baseline, canary, { marks: new Map([[template, 'expected']]) })).toBe(100);
    expect(score(baseline, canary, { marks: new Map([[template, 'ignorable']]) })).toBe(100);
    const marked = analyzeLogs(baseline, canary, { marks: new Map([[template, 'critical']]) });
    expect(marked).toMatchObject({ failed: true, score: 0 });
    expect(marked.clusters[0]).toMatchObject({ template, mark: 'critical', critical: true });
    // A template marked critical fails the run from its first line: the mark says one line is news.
    const once = analyzeLogs(baseline, logs({ info: 100, newError: 1 }), { marks: new Map([[template, 'critical']]) });
    expect(once).toMatchObject({ failed: true, score: 0 });
  });

  it('labels events with user tags and user topics', () => {
    const timeouts = [30, 31, 32, 33].map((s) => `payment gateway timeout after ${s}s`);
    const analysis = analyzeLogs(logs({ info: 50 }), [...logs({ info: 50 }), ...timeouts], {
      topics: {
        rules: [{ string: 'timeout', topic: 'ERROR' }],
        tags: [{ pattern: 'payment|checkout', tag: 'payments' }],
      },
    });
    const tagged = analysis.clusters.find((c) => c.tags.includes('payments'))!;
    expect(tagged).toMatchObject({ topic: 'ERROR', kind: 'canary-only', unexpected: true });
    expect(() => analyzeLogs([], [], { topics: { tags: [{ pattern: '(', tag: 'x' }] } })).toThrow(/tags\[0\]/);
  });

  it('matches user tags with RE2: a backreference is refused by name, a backtracking pattern matches as usual', () => {
    const line = `ERROR ${'word '.repeat(10)}!`;
    const analysis = analyzeLogs(logs({ info: 10 }), [...logs({ info: 10 }), line], {
      topics: {
        tags: [
          { pattern: '^(\\w+\\s?)+$', tag: 'words-only' },
          { pattern: '^ERROR (\\w+\\s?)+!$', tag: 'error' },
        ],
      },
    });
    expect(analysis.clusters.find((c) => c.examples.canary.includes(line))!.tags).toEqual(['error']);
    expect(() => analyzeLogs([], [], { topics: { tags: [{ pattern: '(a)\\1', tag: 'x' }] } })).toThrow(/tags\[0\]/);
  });

  it('autonomous needs no baseline: every error kind of the canary counts', () => {
    const analysis = analyzeLogs(logs({ error: 50 }), logs({ info: 100, error: 3 }), { algorithm: 'autonomous' });
    expect(analysis.baselineEvents).toBe(0);
    expect(analysis.clusters.find((c) => c.topic === 'ERROR')?.kind).toBe('canary-only');
    expect(analysis.score).toBeLessThan(100);
  });

  it('keeps a stack trace as one event of the cluster', () => {
    const trace = (i: number) => [
      `ERROR request ${i} failed`,
      'java.lang.IllegalStateException: closed',
      '\tat a.B.c(B.java:1)',
      '\tat a.B.d(B.java:2)',
    ];
    const canary = [...logs({ info: 50 }), ...trace(1), ...trace(2)];
    const analysis = analyzeLogs(logs({ info: 50 }), canary);
    const cluster = analysis.clusters.find((c) => c.kind === 'canary-only')!;
    expect(cluster.canaryCount).toBe(2);
    expect(cluster.examples.canary[0]).toContain('\tat a.B.c(B.java:1)');
  });

  describe('properties (seeded, 40 cases each)', () => {
    const cases = (seed: number) => {
      const next = random(seed);
      const int = (max: number) => Math.floor(next() * (max + 1));
      return Array.from({ length: 40 }, () => ({
        base: { info: 50 + int(150), warn: int(10), error: int(10) },
        canary: { info: 50 + int(150), warn: int(10), error: int(20), newError: int(8) },
        algorithm: ALGORITHMS[int(ALGORITHMS.length - 1)] as Algorithm,
        sensitivity: SENSITIVITIES[int(2)]!,
        next,
      }));
    };

    // Scores are over rates, so "more" means more of an error among the same number of canary events.
    it('is monotone in count: more of an error in the canary never raises the score', () => {
      for (const c of cases(1)) {
        const options = { algorithm: c.algorithm, sensitivity: c.sensitivity };
        const before = score(logs(c.base), logs(c.canary), options);
        const fewerInfo = (n: number) => ({ ...c.canary, info: c.canary.info - n });
        const more = score(logs(c.base), logs({ ...fewerInfo(5), newError: c.canary.newError + 5 }), options);
        const moreOld = score(logs(c.base), logs({ ...fewerInfo(10), error: c.canary.error + 10 }), options);
        expect(more).toBeLessThanOrEqual(before);
        expect(moreOld).toBeLessThanOrEqual(before);
      }
    });

    it('is monotone in severity: the same events as a more severe topic, or at a higher sensitivity, never score higher', () => {
      for (const c of cases(2)) {
        const options = { algorithm: c.algorithm, sensitivity: c.sensitivity };
        const base = logs(c.base);
        const canary = logs(c.canary);
        const asWarn = score(base, canary, {
          ...options,
          topics: { disableDefaults: true, rules: [{ string: 'IllegalArgumentException', topic: 'WARN' }] },
        });
        const asError = score(base, canary, {
          ...options,
          topics: { disableDefaults: true, rules: [{ string: 'IllegalArgumentException', topic: 'ERROR' }] },
        });
        expect(asError).toBeLessThanOrEqual(asWarn);
        const levels = SENSITIVITIES.map((sensitivity) => score(base, canary, { ...options, sensitivity }));
        expect(levels[1]).toBeLessThanOrEqual(levels[0]!);
        expect(levels[2]).toBeLessThanOrEqual(levels[1]!);
      }
    });

    // Penalties depend on rates only; volume only makes an increase surer (decision 160), and far beyond chance
    // once it is surer still (decision 214).
    it('at equal rates, more log volume never raises the score, and is the same once every change is sure', () => {
      for (const c of cases(3)) {
        const options = { algorithm: c.algorithm, sensitivity: c.sensitivity };
        const base = logs(c.base);
        const canary = logs(c.canary);
        const repeat = (lines: string[], n: number) => Array.from({ length: n }, () => lines).flat();
        const once = score(base, canary, options);
        const more = score(repeat(base, 3), repeat(canary, 2), options);
        const much = score(repeat(base, 30), repeat(canary, 20), options);
        const muchMore = score(repeat(base, 60), repeat(canary, 40), options);
        expect(more).toBeLessThanOrEqual(once);
        expect(much).toBeLessThanOrEqual(more);
        expect(muchMore).toBeCloseTo(much, 6);
      }
    });

    it('is stable under line reordering', () => {
      for (const c of cases(4)) {
        const options = { algorithm: c.algorithm, sensitivity: c.sensitivity };
        const base = logs(c.base);
        const canary = logs(c.canary);
        const ordered = analyzeLogs(base, canary, options);
        const shuffled = analyzeLogs(shuffle(base, c.next), shuffle(canary, c.next), options);
        expect(shuffled.score).toBe(ordered.score);
        const summary = (a: typeof ordered) =>
          a.clusters.map((k) => [k.template, k.baselineCount, k.canaryCount]).sort();
        expect(summary(shuffled)).toEqual(summary(ordered));
      }
    });
  });
});

describe('changes beyond chance (decision 185)', () => {
  // Warning templates that share only `WARN` and `check` (a name of letters per kind: digits would be masked).
  const name = (kind: number) =>
    String.fromCharCode(97 + (kind % 26)) + String.fromCharCode(97 + Math.floor(kind / 26));
  const rare = (kind: number, i: number) => `WARN ${name(kind)}disk ${name(kind)}fan ${name(kind)}link check ${i}`;
  function side(seed: number, infos: number, warnings: (kind: number) => number, kinds: number): string[] {
    const lines = logs({ info: infos });
    for (let kind = 0; kind < kinds; kind++) for (let i = 0; i < warnings(kind); i++) lines.push(rare(kind, i));
    return shuffle(lines, random(seed));
  }

  it('does not count a 1 → 10 increase among forty tested warning templates (it counts alone)', () => {
    const grown = (kind: number) => kind === 0;
    const baseline = side(1, 1000, (kind) => (grown(kind) ? 1 : 6), 40);
    const canary = side(2, 1000, (kind) => (grown(kind) ? 10 : 6), 40);
    const among = analyzeLogs(baseline, canary).clusters.find((c) => c.baselineCount === 1 && c.canaryCount === 10);
    expect(among).toMatchObject({ kind: 'both', unexpected: false });
    // The same cluster with no other warning tested: p ≈ 0.006 is below 1 %.
    const alone = analyzeLogs(
      side(1, 1000, () => 1, 1),
      side(2, 1000, () => 10, 1),
    ).clusters;
    expect(alone.find((c) => c.topic === 'WARN')).toMatchObject({ kind: 'increased', unexpected: true });
    // A burst is beyond chance among the forty too.
    const burst = analyzeLogs(
      baseline,
      side(2, 1000, (kind) => (grown(kind) ? 25 : 6), 40),
    ).clusters;
    expect(burst.find((c) => c.canaryCount === 25)).toMatchObject({ kind: 'increased', unexpected: true });
  });

  it('passes a healthy canary whose rare warnings fell on one side by chance, and still finds a new recurring one', () => {
    // Thirty warning kinds of one or two lines each, every other kind on each side: one distribution.
    const baseline = side(3, 1000, (kind) => (kind % 2 === 0 ? 1 + (kind % 3 === 0 ? 1 : 0) : 0), 30);
    const canary = side(4, 1000, (kind) => (kind % 2 === 1 ? 1 + (kind % 3 === 0 ? 1 : 0) : 0), 30);
    const healthy = analyzeLogs(baseline, canary);
    expect(healthy.clusters.filter((c) => c.kind === 'canary-only').length).toBeGreaterThan(10);
    expect(healthy).toMatchObject({ score: 100, failed: false });
    // A new warning seen eight times stands out even there.
    const fresh = analyzeLogs(baseline, [
      ...canary,
      ...Array.from({ length: 8 }, (_, i) => `WARN replica ${i} lagging behind`),
    ]);
    // Every line starts with its level, so the level is the header and the cluster is named by the message.
    expect(fresh.clusters.filter((c) => c.unexpected).map((c) => c.template)).toEqual(['replica <*> lagging behind']);
  });

  it('counts a new error from its fourth line where errors recur, from its first when the baseline is ten times larger', () => {
    const even = (n: number) =>
      analyzeLogs(logs({ info: 500, error: 40 }), logs({ info: 500, error: 40, newError: n }));
    const newError = (analysis: ReturnType<typeof analyzeLogs>) =>
      analysis.clusters.find((c) => c.template.includes('IllegalArgumentException'))!;
    expect(newError(even(1))).toMatchObject({ kind: 'canary-only', unexpected: false });
    expect(newError(even(2))).toMatchObject({ kind: 'canary-only', unexpected: false });
    expect(newError(even(3))).toMatchObject({ kind: 'canary-only', unexpected: false });
    expect(newError(even(4))).toMatchObject({ kind: 'canary-only', unexpected: true });
    expect(even(4).score).toBeLessThan(100);
    // One line against a baseline ten times as large: chance puts it on the canary side 1 time in 11.
    const once = analyzeLogs(logs({ info: 5000, error: 400 }), logs({ info: 500, error: 40, newError: 1 }));
    expect(newError(once)).toMatchObject({ kind: 'canary-only', unexpected: true });
  });

  it('counts chance over every error and warning topic at once: five new error lines among as rare warnings are chance (decision 213)', () => {
    // Six warning kinds of 3 lines on each side: 6 events each, so Σ 0.5^t over them is 0.09 with no error yet.
    const withNewError = (lines: string[]) => [...lines, ...logs({ newError: 5 })];
    const newError = (analysis: ReturnType<typeof analyzeLogs>) =>
      analysis.clusters.find((c) => c.template.includes('IllegalArgumentException'))!;
    const rare = analyzeLogs(
      side(7, 1000, () => 3, 6),
      withNewError(side(8, 1000, () => 3, 6)),
    );
    expect(newError(rare)).toMatchObject({ kind: 'canary-only', canaryCount: 5, unexpected: false });
    expect(rare.score).toBe(100);
    // Where the warnings recur in number, the same five lines are news.
    const recurring = analyzeLogs(
      side(7, 1000, () => 40, 6),
      withNewError(side(8, 1000, () => 40, 6)),
    );
    expect(newError(recurring)).toMatchObject({ kind: 'canary-only', canaryCount: 5, unexpected: true });
  });

  it('does not discount a warning burst far beyond chance for a baseline full of warning kinds (decision 214)', () => {
    // Twenty warning kinds that recur on both sides: the `canary` normalisation divides by about 2.1.
    const baseline = side(5, 1000, (kind) => (kind === 0 ? 1 : 6), 20);
    const burst = analyzeLogs(
      baseline,
      side(6, 1000, (kind) => (kind === 0 ? 21 : 6), 20),
    );
    expect(burst.clusters.find((c) => c.canaryCount === 21)).toMatchObject({ kind: 'increased', unexpected: true });
    expect(burst.score).toBeLessThan(80);
    const fresh = (lines: number) =>
      analyzeLogs(baseline, [
        ...side(6, 1000, (kind) => (kind === 0 ? 1 : 6), 20),
        ...Array.from({ length: lines }, (_, i) => `WARN replica ${i} lagging behind`),
      ]);
    expect(fresh(20).score).toBeLessThan(80);
    // Five new lines are beyond chance (0.5⁵ ≈ 0.03) but not far beyond it: discounted as before.
    const few = fresh(5);
    expect(few.clusters.filter((c) => c.unexpected).map((c) => c.template)).toEqual(['replica <*> lagging behind']);
    expect(few.score).toBeGreaterThanOrEqual(80);
    expect(few.score).toBeLessThan(100);
  });
});
