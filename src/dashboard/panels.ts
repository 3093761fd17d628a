/**
 * The panels beyond traffic and upstream health: where the time goes (the Server-Timing stages),
 * retries and hedges, reorgs, tenancy's top projects and keys, the relayer's batches, keys,
 * confirmation latency and failures. `PanelSample` is what a worker hands the sampler (running
 * totals, except tenancy: usage since its previous sample); `Panels` is the second the page gets.
 * Every list is bounded (TOP_ROWS, MAX_KEY_ROWS), whatever the traffic.
 */

/** Rows of each top list (projects, keys, lowest credits). */
export const TOP_ROWS = 10;
/** Relayer signing keys listed at most. */
export const MAX_KEY_ROWS = 64;

export interface PanelSample {
  /** Server-Timing stage → [sum of seconds, count], all networks: running totals. */
  readonly stages: Readonly<Record<string, readonly [number, number]>>;
  /** Network → [retries, hedges started, hedges won]: running totals. */
  readonly failover: Readonly<Record<string, readonly [number, number, number]>>;
  /** Reorgs seen and cache entries they invalidated: running totals; undefined without a cache. */
  readonly reorgs: { readonly reorgs: number; readonly invalidated: number } | undefined;
  readonly relayer: RelayerPanelSample | undefined;
  readonly tenancy: TenancyPanelSample | undefined;
}

export interface RelayerPanelSample {
  readonly batches: number;
  /** Transfers in those batches. */
  readonly batchedTransfers: number;
  /** Accepted → confirmed histogram: per-bucket counts (not cumulative) and upper bounds, seconds. */
  readonly confirmBuckets: readonly number[];
  readonly confirmBounds: readonly number[];
  /** Failed transfers by failure code: running totals. */
  readonly failedByReason: Readonly<Record<string, number>>;
  /** Signing keys of this process: [address, transactions in flight, next nonce]. */
  readonly keys: readonly (readonly [key: string, inflight: number, nonce: number])[];
}

/** Tenancy usage since this worker's previous sample (the usage meter's `recentUsage`). */
export interface TenancyPanelSample {
  /** The top keys by requests and by compute units, at most 2 × TOP_ROWS. */
  readonly keys: readonly UsageRow[];
  /** Every key's usage summed per project, the top by requests and by compute units. */
  readonly projects: readonly UsageRow[];
  /** Credits left: the lowest TOP_ROWS projects and those in `projects`. */
  readonly credits: readonly (readonly [project: string, left: number])[];
}

export interface UsageRow {
  /** A key: its prefix and name; a project: its name (the id when the name is not known here). */
  readonly name: string;
  /** The key's project name (keys only). */
  readonly project?: string | undefined;
  readonly requests: number;
  readonly computeUnits: number;
  readonly rateLimited: number;
}

/** One second of the panels, as the page receives it (`Snapshot.panels`). */
export interface Panels {
  /**
   * Mean milliseconds per answered HTTP request in each stage over the second (a stage that did
   * not run counts 0), and `total`; null when no request was answered.
   */
  readonly stages: Record<string, number> | null;
  readonly failover: {
    network: string;
    retriesPerSec: number;
    hedgesPerSec: number;
    hedgesWonPerSec: number;
  }[];
  /** Totals since the workers started, and invalidations per second; null without a cache. */
  readonly reorgs: { reorgs: number; invalidated: number; invalidatedPerSec: number } | null;
  readonly relayer: {
    batchesPerSec: number;
    /** Transfers per batch over the last minute; null without batches. */
    meanBatchSize: number | null;
    /** Accepted → confirmed over the last minute, milliseconds; null without confirmations. */
    confirmP50Ms: number | null;
    confirmP99Ms: number | null;
    /** Totals since the workers started. */
    failedByReason: Record<string, number>;
    keys: { key: string; inflight: number; nonce: number }[];
  } | null;
  readonly tenancy: {
    rateLimitedPerSec: number;
    projects: {
      name: string;
      requestsPerSec: number;
      computeUnitsPerSec: number;
      creditsLeft: number | null;
    }[];
    keys: {
      name: string;
      project: string;
      requestsPerSec: number;
      computeUnitsPerSec: number;
      rateLimitedPerSec: number;
    }[];
    /** Prepaid projects with the fewest credits left. */
    lowestCredits: { name: string; creditsLeft: number }[];
  } | null;
}

/** The first `n` rows by each of `keys`, without repeats, in the order found. */
export function topBy<T>(rows: readonly T[], n: number, ...keys: ((row: T) => number)[]): T[] {
  const chosen = new Set<T>();
  for (const key of keys)
    for (const row of [...rows].sort((a, b) => key(b) - key(a)).slice(0, n))
      if (key(row) > 0) chosen.add(row);
  return [...chosen];
}
