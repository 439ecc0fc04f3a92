// What every metrics provider does: fetch one series per side for a window, say what went wrong in
// words naming the query, and check a query's syntax before a verification relies on it.

/** A time range and resolution to fetch. */
export interface FetchWindow {
  startMs: number;
  endMs: number;
  stepSeconds: number;
}

/** One fetched series on the window's step grid: NaN where the provider had no point. */
export interface FetchedSeries {
  /** The query as sent, with placeholders filled. */
  query: string;
  /** Point times (ms), one per step from the window start. */
  timestampsMs: number[];
  values: number[];
  /** Labels / tags of the series the provider returned. */
  labels: Record<string, string>;
  /** How many series the query returned (only one can be judged). */
  seriesCount: number;
  /** Problems a user should see (empty result, several series), each naming the query. */
  problems: string[];
}

/** A metrics provider account. */
export interface MetricsProvider {
  readonly name: string;
  readonly type: ProviderType;
  /** Writes a scope (label → value) in the provider's selector syntax for `${scope}`. */
  renderScope(scope: Record<string, string>): string;
  /** Fetches a query over a window; throws `ProviderError` when the provider fails or refuses the query. */
  fetch(query: string, window: FetchWindow): Promise<FetchedSeries>;
  /** Returns the provider's complaint about a query's syntax, or null when it is accepted. Throws `ProviderError` when unreachable. */
  checkQuery(query: string): Promise<string | null>;
}

/** Provider types autopilot can query. */
export type ProviderType =
  | 'prometheus'
  | 'datadog'
  | 'newrelic'
  | 'graphite'
  | 'influxdb'
  | 'cloudwatch'
  | 'stackdriver'
  | 'dynatrace'
  | 'signalfx'
  | 'wavefront'
  | 'appdynamics';

/**
 * A provider call failed. `kind` says whose fault it is: `unavailable` (network, 5xx, auth, timeout: the
 * verification ends in `error` with this cause) or `query` (the provider refused the query: a template bug).
 */
export class ProviderError extends Error {
  readonly kind: 'unavailable' | 'query';
  readonly provider: string;

  constructor(provider: string, kind: 'unavailable' | 'query', message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
  }
}

/**
 * `checkQuery`'s answer from a trial run of the query: the provider's message when it refuses the query,
 * null when it runs; an unavailable provider stays an error (the check cannot tell).
 */
export async function queryRefusal(trial: () => Promise<unknown>): Promise<string | null> {
  try {
    await trial();
    return null;
  } catch (error) {
    if (error instanceof ProviderError && error.kind === 'query') return error.message;
    throw error;
  }
}

/** A result with no usable series (none, or several where one is judged): all NaN, with the problems saying why. */
export function unusableSeries(query: string, grid: number[], seriesCount: number, problems: string[]): FetchedSeries {
  return { query, timestampsMs: grid, values: grid.map(() => Number.NaN), labels: {}, seriesCount, problems };
}

/** The step grid of a window: start, start+step, … up to end inclusive. */
export function stepGrid(window: FetchWindow): number[] {
  const stepMs = window.stepSeconds * 1000;
  const first = Math.ceil(window.startMs / stepMs) * stepMs;
  const grid: number[] = [];
  for (let at = first; at <= window.endMs && grid.length < 100_000; at += stepMs) grid.push(at);
  return grid;
}

/**
 * Places (time, value) points on the window's grid: each point goes to the nearest step; several points
 * on one step (a provider with a finer resolution) are averaged; steps without a finite point are NaN.
 */
export function alignToGrid(
  grid: readonly number[],
  stepSeconds: number,
  points: ReadonlyArray<[number, number]>,
): number[] {
  const sums = grid.map(() => 0);
  const counts = grid.map(() => 0);
  if (grid.length === 0) return [];
  const stepMs = stepSeconds * 1000;
  const first = grid[0]!;
  for (const [atMs, value] of points) {
    if (!Number.isFinite(value)) continue;
    const index = Math.round((atMs - first) / stepMs);
    if (index >= 0 && index < grid.length) {
      sums[index]! += value;
      counts[index]!++;
    }
  }
  return sums.map((sum, index) => (counts[index]! > 0 ? sum / counts[index]! : Number.NaN));
}
