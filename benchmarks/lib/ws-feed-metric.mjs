// The feed's own delivery time, from Turnpike's /metrics: the histogram
// `turnpike_realtime_feed_publish_seconds` (from the chain tracker's step that showed a block
// to the last notification of that block written to the sockets), summed over workers.
import { scrape } from './prom.mjs';

export const FEED_PUBLISH_METRIC = 'turnpike_realtime_feed_publish_seconds';

/** Cumulative bucket counts by upper bound (seconds), summed over every label set. */
export function histogramBuckets(text, name) {
  const buckets = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const value = Number(
      line
        .slice(line.lastIndexOf('}') + 1)
        .trim()
        .split(/\s+/)[0],
    );
    if (le === undefined || !Number.isFinite(value)) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + value);
  }
  return [...buckets].sort(([a], [b]) => a - b);
}

/** Upper bound of the bucket holding quantile q (a histogram only knows its bucket bounds). */
export function bucketQuantile(buckets, q) {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return null;
  for (const [bound, count] of buckets) if (count >= q * total) return bound;
  return null;
}

/** { count, p50Ms, p99Ms } (bucket upper bounds), or null when the metric is absent. */
export async function feedFigures(metricsUrl) {
  const text = await scrape(metricsUrl);
  if (text === null) return null;
  const buckets = histogramBuckets(text, FEED_PUBLISH_METRIC);
  if (buckets.length === 0) return null;
  const ms = (s) => (s === null ? null : s * 1000);
  return {
    count: buckets.at(-1)[1],
    p50Ms: ms(bucketQuantile(buckets, 0.5)),
    p99Ms: ms(bucketQuantile(buckets, 0.99)),
  };
}
