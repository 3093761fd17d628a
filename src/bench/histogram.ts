/**
 * HDR histograms in microseconds (3 significant digits), the only form latency is kept in:
 * recorded per sample, merged by adding counts (across seconds and workers), never by
 * averaging percentiles. Encoded as compressed base64 to cross thread boundaries.
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';

export type { Histogram };

export function newHistogram(): Histogram {
  return build({ numberOfSignificantValueDigits: 3, autoResize: true, lowestDiscernibleValue: 1 });
}

/** Records milliseconds as whole microseconds (negative clock noise counts as 0). */
export function recordMs(histogram: Histogram, ms: number): void {
  histogram.recordValue(ms > 0 ? Math.round(ms * 1000) : 0);
}

export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded);
}

/** Latency figures in milliseconds; NaN when empty. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export function percentileMs(histogram: Histogram, percentile: number): number {
  if (histogram.totalCount === 0) return Number.NaN;
  return histogram.getValueAtPercentile(percentile) / 1000;
}

export function summarizeHistogram(histogram: Histogram): LatencySummary {
  const count = histogram.totalCount;
  if (count === 0) return { count, mean: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN };
  return {
    count,
    mean: histogram.mean / 1000,
    p50: percentileMs(histogram, 50),
    p90: percentileMs(histogram, 90),
    p99: percentileMs(histogram, 99),
    p999: percentileMs(histogram, 99.9),
    max: histogram.maxValue / 1000,
  };
}

/** Adds `from` into `into`, creating `into` when missing; returns it. */
export function mergeInto(into: Histogram | undefined, from: Histogram): Histogram {
  const target = into ?? newHistogram();
  target.add(from);
  return target;
}
