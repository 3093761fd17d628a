// Exact percentiles from every sample (never averaged across runs or intervals).

/** Sorts a copy of the samples ascending (typed arrays sort numerically). */
export function sorted(samples) {
  return Float64Array.from(samples).sort();
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(ascending, p) {
  if (ascending.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * ascending.length);
  return ascending[Math.min(ascending.length, Math.max(1, rank)) - 1];
}

/** Summary of latency samples in milliseconds. */
export function summarize(samples) {
  const s = sorted(samples);
  let sum = 0;
  for (const v of s) sum += v;
  return {
    count: s.length,
    mean: s.length ? sum / s.length : Number.NaN,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    p999: percentile(s, 99.9),
    max: s.length ? s[s.length - 1] : Number.NaN,
  };
}

export function median(values) {
  return percentile(sorted(values), 50);
}
