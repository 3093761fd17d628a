/**
 * What the dashboard shows, and what each process hands the sampler: a worker's raw counters
 * (`WorkerSample`, cumulative, cheap to read) and the second they become (`Snapshot`, rates
 * and quantiles over that second). Both cross the cluster IPC as JSON, so they are plain data.
 */
import type { PanelSample, Panels } from './panels.js';

/** One process's counters, read from its metrics registry once a second. */
export interface WorkerSample {
  /** The worker label (`0`, `1`, `relayer`). */
  readonly worker: string;
  /** Requests by network, method and outcome (`ok`, `rpc_error`, an `ERR_…` code): running totals. */
  readonly requests: readonly [network: string, method: string, outcome: string, total: number][];
  /** Request-duration histogram per network (all methods), bucket counts, not cumulative. */
  readonly latency: Readonly<Record<string, readonly number[]>>;
  /** The histogram's upper bounds, seconds (the last bucket is +Inf and has no bound here). */
  readonly latencyBounds: readonly number[];
  readonly upstreams: readonly UpstreamSample[];
  /** Cache counters by result (hit, miss, coalesced) and the memory tier's size; undefined without a cache. */
  readonly cache: CacheSample | undefined;
  /** Relayer counters; undefined when this process runs no relayer. */
  readonly relayer: RelayerSample | undefined;
  readonly process: ProcessSample;
  /** Stages, failover, reorgs, tenancy and relayer details (panels.ts). */
  readonly panels?: PanelSample | undefined;
}

export interface UpstreamSample {
  readonly network: string;
  readonly id: string;
  /** Attempts (any outcome) so far. */
  readonly attempts: number;
  /** Sum and count of attempt latencies, seconds: their deltas give the mean of the last second. */
  readonly latencySum: number;
  readonly latencyCount: number;
  readonly inflight: number;
  readonly available: boolean;
  /** 0 closed, 1 half-open, 2 open. */
  readonly breaker: number;
  readonly head: number;
  readonly lag: number;
  readonly errorRate: number;
  readonly excluded: boolean;
  /** Retries away from this upstream so far (its attempt failed, another was asked). */
  readonly retries: number;
  /** Hedges sent to this upstream so far. */
  readonly hedges: number;
}

export interface CacheSample {
  readonly hits: number;
  readonly misses: number;
  readonly coalesced: number;
  readonly entries: number;
  readonly bytes: number;
}

export interface RelayerSample {
  readonly accepted: number;
  readonly confirmed: number;
  readonly failed: number;
  /** Open transfers by state (the shared store; read by one worker only). */
  readonly queue: Readonly<Record<string, number>> | undefined;
}

export interface ProcessSample {
  /** Event-loop utilisation since the previous sample, 0–1. */
  readonly elu: number;
  /** Event-loop delay p99 since the previous sample, milliseconds. */
  readonly delayP99Ms: number;
  readonly heapBytes: number;
  readonly rssBytes: number;
}

/** One second of the whole gateway (every worker), as the page receives it. */
export interface Snapshot {
  /** Unix milliseconds. */
  readonly t: number;
  /** Requests per second, all networks. */
  readonly rps: number;
  readonly byNetwork: Record<string, number>;
  /** The busiest methods (at most METHOD_ROWS), per second. */
  readonly byMethod: Record<string, number>;
  /** By outcome: `ok`, `rpc_error`, `ERR_…` codes, per second. */
  readonly byStatus: Record<string, number>;
  /** Gateway errors (`ERR_…` outcomes) per second. */
  readonly errors: number;
  /** Latency quantiles over the second, milliseconds; null when no request ended in it. */
  readonly p50: number | null;
  readonly p99: number | null;
  readonly upstreams: UpstreamRow[];
  readonly cache: {
    hitRatio: number | null;
    hitsPerSec: number;
    missesPerSec: number;
    entries: number;
    bytes: number;
  } | null;
  readonly relayer: {
    acceptedPerSec: number;
    confirmedPerSec: number;
    failedPerSec: number;
    queue: Record<string, number> | null;
  } | null;
  /** Where the time goes, failover, reorgs, tenancy, relayer details (panels.ts). */
  readonly panels: Panels;
  readonly workers: {
    worker: string;
    elu: number;
    delayP99Ms: number;
    heapBytes: number;
    rssBytes: number;
  }[];
}

export interface UpstreamRow {
  readonly network: string;
  readonly id: string;
  /** Usable by every worker that reported it. */
  readonly healthy: boolean;
  /** `closed`, `half-open` or `open` (the worst any worker reports). */
  readonly breaker: string;
  readonly head: number;
  readonly lag: number;
  readonly inflight: number;
  /** This upstream's share of its network's attempts in the second, 0–1; null without attempts. */
  readonly share: number | null;
  /** Mean attempt latency in the second, milliseconds; null without attempts. */
  readonly latencyMs: number | null;
  readonly errorRate: number;
  readonly excluded: boolean;
  /** Retries away from this upstream per second, summed over workers. */
  readonly retriesPerSec: number;
  /** Hedges sent to this upstream per second, summed over workers. */
  readonly hedgesPerSec: number;
}

/**
 * One point of the last hour's charts: [t, rps, p50, p99, errors/s]. The ring keeps these, not
 * whole snapshots: 3,600 of them are about 150 KB of JSON, sent once when a page connects.
 */
export type HistoryPoint = readonly [
  t: number,
  rps: number,
  p50: number | null,
  p99: number | null,
  errors: number,
];

export function historyPoint(snapshot: Snapshot): HistoryPoint {
  return [snapshot.t, snapshot.rps, snapshot.p50, snapshot.p99, snapshot.errors];
}
