// Memory sampling of a running Turnpike: /proc RSS of every process (primary and workers) and,
// when its /metrics answers, the heap and RSS that prom-client reports (summed over workers).

import { treeRss } from './proc-stats.mjs';
import { scrape, sumMetric } from './prom.mjs';
import { median } from './stats.mjs';

export async function sampleMemory(pid, metricsUrl) {
  const rss = treeRss(pid);
  const metrics = await scrape(metricsUrl);
  return {
    rssBytes: rss.total,
    processes: rss.perProcess.length,
    perProcessRss: rss.perProcess,
    heapUsedBytes: metrics ? sumMetric(metrics, 'nodejs_heap_size_used_bytes') : null,
    promRssBytes: metrics ? sumMetric(metrics, 'process_resident_memory_bytes') : null,
  };
}

/**
 * Compares the level around minute 1 with the level at the end; growth above `tolerance` fails
 * (shrinking never does).
 */
// The heap is a GC sawtooth (±10 MiB within seconds at 2,000 RPS): three point samples at each
// end compare two random points of it. One-minute medians compare levels, which is what a leak
// moves. Minute 1 is the window 30–90 s; the end is the last 60 s.
export function growthCheck(samples, field, { atSeconds = 60, windowSeconds = 30, tolerance = 0.1 } = {}) {
  const usable = samples.filter((s) => typeof s[field] === 'number');
  if (usable.length === 0) return { field, status: 'SKIP', reason: 'not sampled' };
  let early = usable.filter((s) => Math.abs(s.tSeconds - atSeconds) <= windowSeconds);
  if (early.length === 0) {
    // Shorter run: fall back to the sample nearest minute 1.
    const nearest = usable.reduce((a, b) =>
      Math.abs(b.tSeconds - atSeconds) < Math.abs(a.tSeconds - atSeconds) ? b : a,
    );
    early = [nearest];
  }
  const lastT = usable[usable.length - 1].tSeconds;
  const late = usable.filter((s) => s.tSeconds >= lastT - 2 * windowSeconds);
  const baseline = median(early.map((s) => s[field]));
  const end = median(late.map((s) => s[field]));
  const growth = (end - baseline) / baseline;
  const overlapping = late.some((s) => early.includes(s));
  return {
    field,
    baseline,
    end,
    growth,
    status: growth <= tolerance ? 'PASS' : 'FAIL',
    note: overlapping ? 'run too short: minute-1 and end samples overlap' : undefined,
  };
}
