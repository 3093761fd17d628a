/**
 * Turns every worker's running totals into one second of the gateway (snapshot.ts): rates from
 * the difference with the previous sample of the same worker (a restarted worker starts from
 * zero, so a total that went down counts from zero), quantiles from the histogram buckets that
 * filled in the second. Pure bookkeeping: no I/O, no timers.
 */
import { PanelBuilder } from './panel-builder.js';
import { delta, quantileMs, round } from './rates.js';
import type { Snapshot, UpstreamRow, UpstreamSample, WorkerSample } from './snapshot.js';

export { quantileMs };

/** The page lists this many methods; the rest are summed as `other`. */
const METHOD_ROWS = 8;
const BREAKER_NAMES = ['closed', 'half-open', 'open'];

export class SnapshotBuilder {
  /** The previous sample of each worker, by label. */
  private previous = new Map<string, WorkerSample>();
  private previousAt = 0;
  private readonly panels = new PanelBuilder();

  build(samples: readonly WorkerSample[], now: number): Snapshot {
    const seconds = this.previousAt === 0 ? 1 : Math.max(0.001, (now - this.previousAt) / 1000);
    const rate = (value: number) => round(value / seconds);
    const byNetwork: Record<string, number> = {};
    const byMethod = new Map<string, number>();
    const byStatus: Record<string, number> = {};
    let requests = 0;
    let errors = 0;
    let buckets: number[] = [];
    let bounds: readonly number[] = [];
    for (const sample of samples) {
      const before = this.previous.get(sample.worker);
      const old = new Map<string, number>();
      for (const [network, method, status, total] of before?.requests ?? [])
        old.set(`${network}\u0000${method}\u0000${status}`, total);
      for (const [network, method, status, total] of sample.requests) {
        const d = delta(total, old.get(`${network}\u0000${method}\u0000${status}`));
        if (d === 0) continue;
        requests += d;
        byNetwork[network] = (byNetwork[network] ?? 0) + d;
        byMethod.set(method, (byMethod.get(method) ?? 0) + d);
        byStatus[status] = (byStatus[status] ?? 0) + d;
        if (status.startsWith('ERR_')) errors += d;
      }
      bounds = sample.latencyBounds;
      for (const [network, counts] of Object.entries(sample.latency)) {
        const was = before?.latency[network];
        if (buckets.length < counts.length)
          buckets = [...buckets, ...new Array(counts.length - buckets.length).fill(0)];
        counts.forEach((count, i) => {
          buckets[i]! += delta(count, was?.[i]);
        });
      }
    }
    const snapshot: Snapshot = {
      t: now,
      rps: rate(requests),
      byNetwork: mapValues(byNetwork, rate),
      byMethod: topMethods(byMethod, rate),
      byStatus: mapValues(byStatus, rate),
      errors: rate(errors),
      p50: quantileMs(buckets, bounds, 0.5),
      p99: quantileMs(buckets, bounds, 0.99),
      upstreams: this.upstreamRows(samples, rate),
      cache: this.cache(samples, rate),
      relayer: this.relayer(samples, rate),
      panels: this.panels.build(samples, seconds, byStatus.ERR_RATE_LIMITED ?? 0),
      workers: samples.map(({ worker, process }) => ({
        worker,
        elu: round(process.elu),
        delayP99Ms: round(process.delayP99Ms),
        heapBytes: process.heapBytes,
        rssBytes: process.rssBytes,
      })),
    };
    this.previous = new Map(samples.map((sample) => [sample.worker, sample]));
    this.previousAt = now;
    return snapshot;
  }

  /** Every worker's view of an upstream merged: unhealthy if any worker cannot use it. */
  private upstreamRows(samples: readonly WorkerSample[], rate: (value: number) => number): UpstreamRow[] {
    const merged = new Map<
      string,
      {
        row: Mutable<UpstreamRow>;
        attempts: number;
        sum: number;
        count: number;
        retries: number;
        hedges: number;
      }
    >();
    for (const sample of samples) {
      const before = new Map<string, UpstreamSample>();
      for (const old of this.previous.get(sample.worker)?.upstreams ?? [])
        before.set(`${old.network}\u0000${old.id}`, old);
      for (const upstream of sample.upstreams) {
        const key = `${upstream.network}\u0000${upstream.id}`;
        const was = before.get(key);
        const attempts = delta(upstream.attempts, was?.attempts);
        const sum = Math.max(
          0,
          upstream.latencySum -
            (was !== undefined && was.latencySum <= upstream.latencySum ? was.latencySum : 0),
        );
        const count = delta(upstream.latencyCount, was?.latencyCount);
        const retries = delta(upstream.retries, was?.retries);
        const hedges = delta(upstream.hedges, was?.hedges);
        const entry = merged.get(key);
        if (entry === undefined) {
          merged.set(key, {
            row: {
              network: upstream.network,
              id: upstream.id,
              healthy: upstream.available,
              breaker: BREAKER_NAMES[upstream.breaker] ?? 'open',
              head: upstream.head,
              lag: upstream.lag,
              inflight: upstream.inflight,
              share: null,
              latencyMs: null,
              errorRate: upstream.errorRate,
              excluded: upstream.excluded,
              retriesPerSec: 0,
              hedgesPerSec: 0,
            },
            attempts,
            sum,
            count,
            retries,
            hedges,
          });
          continue;
        }
        const { row } = entry;
        row.healthy &&= upstream.available;
        if (BREAKER_NAMES.indexOf(row.breaker) < upstream.breaker)
          row.breaker = BREAKER_NAMES[upstream.breaker] ?? 'open';
        row.head = Math.max(row.head, upstream.head);
        row.lag = Math.max(row.lag, upstream.lag);
        row.inflight += upstream.inflight;
        row.errorRate = Math.max(row.errorRate, upstream.errorRate);
        row.excluded ||= upstream.excluded;
        entry.attempts += attempts;
        entry.sum += sum;
        entry.count += count;
        entry.retries += retries;
        entry.hedges += hedges;
      }
    }
    const perNetwork = new Map<string, number>();
    for (const { row, attempts } of merged.values())
      perNetwork.set(row.network, (perNetwork.get(row.network) ?? 0) + attempts);
    return [...merged.values()].map(({ row, attempts, sum, count, retries, hedges }) => {
      const total = perNetwork.get(row.network) ?? 0;
      row.share = total === 0 ? null : round(attempts / total);
      row.latencyMs = count === 0 ? null : round((sum / count) * 1000);
      row.errorRate = round(row.errorRate);
      row.retriesPerSec = rate(retries);
      row.hedgesPerSec = rate(hedges);
      return row;
    });
  }

  private cache(samples: readonly WorkerSample[], rate: (value: number) => number): Snapshot['cache'] {
    let hits = 0;
    let misses = 0;
    let entries = 0;
    let bytes = 0;
    let any = false;
    for (const sample of samples) {
      if (sample.cache === undefined) continue;
      any = true;
      const was = this.previous.get(sample.worker)?.cache;
      hits += delta(sample.cache.hits, was?.hits) + delta(sample.cache.coalesced, was?.coalesced);
      misses += delta(sample.cache.misses, was?.misses);
      entries += sample.cache.entries;
      bytes += sample.cache.bytes;
    }
    if (!any) return null;
    const lookups = hits + misses;
    return {
      hitRatio: lookups === 0 ? null : round(hits / lookups),
      hitsPerSec: rate(hits),
      missesPerSec: rate(misses),
      entries,
      bytes,
    };
  }

  private relayer(samples: readonly WorkerSample[], rate: (value: number) => number): Snapshot['relayer'] {
    let accepted = 0;
    let confirmed = 0;
    let failed = 0;
    let queue: Record<string, number> | null = null;
    let any = false;
    for (const sample of samples) {
      const relayer = sample.relayer;
      if (relayer === undefined) continue;
      any = true;
      const was = this.previous.get(sample.worker)?.relayer;
      accepted += delta(relayer.accepted, was?.accepted);
      confirmed += delta(relayer.confirmed, was?.confirmed);
      failed += delta(relayer.failed, was?.failed);
      if (relayer.queue !== undefined) queue = { ...relayer.queue };
    }
    if (!any) return null;
    return {
      acceptedPerSec: rate(accepted),
      confirmedPerSec: rate(confirmed),
      failedPerSec: rate(failed),
      queue,
    };
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function mapValues(record: Record<string, number>, map: (value: number) => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key in record) out[key] = map(record[key]!);
  return out;
}

function topMethods(byMethod: Map<string, number>, rate: (value: number) => number): Record<string, number> {
  const sorted = [...byMethod].sort((a, b) => b[1] - a[1]);
  const out: Record<string, number> = {};
  let other = 0;
  sorted.forEach(([method, count], i) => {
    if (i < METHOD_ROWS) out[method] = rate(count);
    else other += count;
  });
  if (other > 0) out.other = rate(other);
  return out;
}
