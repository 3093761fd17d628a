/** Small arithmetic the snapshot and panel builders share: deltas of running totals, rounding, quantiles. */

/** Growth of a running total; a total that went down was restarted, so all of it is new. */
export function delta(total: number, before: number | undefined): number {
  if (before === undefined || total < before) return before === undefined ? 0 : total;
  return total - before;
}

export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/**
 * The quantile by linear interpolation inside its bucket (as Prometheus's histogram_quantile);
 * the +Inf bucket answers with the highest bound. Milliseconds; null without observations.
 */
export function quantileMs(buckets: readonly number[], bounds: readonly number[], q: number): number | null {
  const total = buckets.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i]!;
    if (seen + count >= rank && count > 0) {
      const upper = bounds[i];
      if (upper === undefined) return round((bounds[bounds.length - 1] ?? 0) * 1000);
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      return round((lower + (upper - lower) * ((rank - seen) / count)) * 1000);
    }
    seen += count;
  }
  return round((bounds[bounds.length - 1] ?? 0) * 1000);
}
