// Pre-processing of one side's series before classification, as Kayenta's Transforms.scala does:
// NaN removal or replacement by 0, then (only when asked) IQR outlier removal.
import type { NanStrategy, OutlierStrategy } from './model';
import { percentileSorted, sortAscending } from './statistics';

/** A side after pre-processing, with how many points were missing or removed. */
export interface PreprocessedSide {
  values: number[];
  receivedCount: number;
  missingCount: number;
  outlierCount: number;
}

/**
 * Kayenta's IQRDetector with `reduceSensitivity = true`: fences at min(P1, Q1 − k·IQR) and
 * max(P99, Q3 + k·IQR) with R-7 percentiles; returns the fences.
 */
export function iqrFences(values: readonly number[], factor: number): { lower: number; upper: number } {
  const sorted = sortAscending(values);
  const q1 = percentileSorted(sorted, 25);
  const q3 = percentileSorted(sorted, 75);
  const iqr = q3 - q1;
  return {
    lower: Math.min(percentileSorted(sorted, 1), q1 - factor * iqr),
    upper: Math.max(percentileSorted(sorted, 99), q3 + factor * iqr),
  };
}

/** Applies the NaN strategy and, for `remove`, the IQR outlier fences; null and ±Infinity count as missing. */
export function preprocessSide(
  raw: ReadonlyArray<number | null>,
  nanStrategy: NanStrategy,
  outliers: { strategy: OutlierStrategy; factor: number },
): PreprocessedSide {
  const values: number[] = [];
  let missingCount = 0;
  for (const value of raw) {
    if (value === null || !Number.isFinite(value)) {
      missingCount++;
      if (nanStrategy === 'replace') values.push(0);
    } else {
      values.push(value);
    }
  }
  if (outliers.strategy !== 'remove' || values.length === 0) {
    return { values, receivedCount: raw.length, missingCount, outlierCount: 0 };
  }
  const { lower, upper } = iqrFences(values, outliers.factor);
  const kept = values.filter((value) => value >= lower && value <= upper);
  return { values: kept, receivedCount: raw.length, missingCount, outlierCount: values.length - kept.length };
}
