/**
 * Usage metering off the request path: each served request adds to an in-memory series
 * (key × network × method × outcome); a timer writes all series in one transaction. A failed
 * write keeps the series for the next attempt, so a database outage loses nothing while the
 * process lives; `close()` writes what is left. What a crash can lose is at most one flush
 * interval (`tenancy.usageFlushMs`) of this process's usage.
 */
import type { Logger } from '../logging/logger.js';
import { REFUSED_OUTCOMES, type TenancyStore, type UsageDelta } from './model.js';
import type { ProjectAccount } from './project-accounts.js';

class Series {
  requests = 0;
  computeUnits = 0;
  bytes = 0;
  /** How much of `requests`/`computeUnits` `recentUsage()` has already handed out. */
  readRequests = 0;
  readComputeUnits = 0;
  /** Admitted requests count against quotas; refused ones are metered but free. */
  readonly charged: boolean;

  constructor(
    readonly account: ProjectAccount,
    readonly keyId: string,
    readonly network: string,
    readonly method: string,
    readonly outcome: string,
  ) {
    this.charged = !REFUSED_OUTCOMES.has(outcome);
  }
}

export interface UsageMeterStats {
  flushes: number;
  failures: number;
  /** Rows written by the last successful flush. */
  lastRows: number;
}

/** One key's usage since the previous `recentUsage()` call. */
export interface RecentUsage {
  readonly keyId: string;
  readonly projectId: string;
  requests: number;
  computeUnits: number;
  /** Of `requests`, refused by a rate limit (ERR_RATE_LIMITED). */
  rateLimited: number;
}

/** Keys remembered between two reads at most (their flushed remainder); more are dropped. */
const MAX_UNREAD_KEYS = 10_000;

export class UsageMeter {
  private series = new Map<string, Series>();
  /** Flushed usage `recentUsage()` has not seen yet, per key; undefined until it is first called. */
  private unread: Map<string, RecentUsage> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  readonly stats: UsageMeterStats = { flushes: 0, failures: 0, lastRows: 0 };

  constructor(
    private readonly store: Pick<TenancyStore, 'recordUsage'>,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  record(
    account: ProjectAccount,
    keyId: string,
    network: string,
    method: string,
    outcome: string,
    computeUnits: number,
    bytes: number,
    /** How many calls this records at once (a socket's notifications since the last sweep). */
    requests = 1,
  ): void {
    const id = `${keyId}\u0000${network}\u0000${method}\u0000${outcome}`;
    let series = this.series.get(id);
    if (series === undefined) {
      series = new Series(account, keyId, network, method, outcome);
      this.series.set(id, series);
    }
    series.requests += requests;
    series.computeUnits += computeUnits;
    series.bytes += bytes;
  }

  /**
   * Usage per key since the previous call (the dashboard's top keys and projects, once a
   * second). Read from the pending series and what flushes took since: the request path does
   * nothing more for it.
   */
  recentUsage(): RecentUsage[] {
    const recent = this.unread ?? new Map<string, RecentUsage>();
    this.unread = new Map();
    for (const series of this.series.values()) takeUnread(recent, series, Number.POSITIVE_INFINITY);
    return [...recent.values()];
  }

  /** Series waiting to be written (a gauge, and what tests wait on). */
  get pendingSeries(): number {
    return this.series.size;
  }

  start(intervalMs: number, afterFlush?: () => Promise<void>): void {
    this.timer ??= setInterval(() => {
      void this.flush().then(afterFlush);
    }, intervalMs);
    this.timer.unref();
  }

  /** Writes every pending series; concurrent calls share one write. */
  flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing.then(() => this.flush());
    if (this.series.size === 0) return Promise.resolve();
    const batch = this.series;
    this.series = new Map();
    this.flushing = this.write(batch).finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops the timer and writes what is left, retrying until `deadlineMs` passes. */
  async close(deadlineMs = 10_000): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const until = Date.now() + deadlineMs;
    await this.flush();
    while (this.series.size > 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await this.flush();
    }
    if (this.series.size > 0)
      this.log.error({ series: this.series.size }, 'usage could not be written before shutdown');
  }

  private async write(batch: Map<string, Series>): Promise<void> {
    const day = new Date(this.now()).toISOString().slice(0, 10);
    const deltas: UsageDelta[] = [];
    for (const series of batch.values()) {
      deltas.push({
        day,
        projectId: series.account.projectId,
        keyId: series.keyId,
        network: series.network,
        method: series.method,
        outcome: series.outcome,
        requests: series.requests,
        computeUnits: series.computeUnits,
        bytes: series.bytes,
      });
    }
    try {
      await this.store.recordUsage(deltas);
    } catch (err) {
      this.stats.failures++;
      this.log.warn({ err, series: batch.size }, 'usage flush failed; retrying with the next flush');
      this.mergeBack(batch);
      return;
    }
    this.stats.flushes++;
    this.stats.lastRows = deltas.length;
    const unread = this.unread;
    if (unread !== undefined)
      for (const series of batch.values()) takeUnread(unread, series, MAX_UNREAD_KEYS);
    for (const series of batch.values()) {
      if (!series.charged) continue;
      series.account.flushedRequests += series.requests;
      series.account.flushedComputeUnits += series.computeUnits;
    }
  }

  private mergeBack(batch: Map<string, Series>): void {
    for (const [id, old] of batch) {
      const current = this.series.get(id);
      if (current === undefined) this.series.set(id, old);
      else {
        current.requests += old.requests;
        current.computeUnits += old.computeUnits;
        current.bytes += old.bytes;
        current.readRequests += old.readRequests;
        current.readComputeUnits += old.readComputeUnits;
      }
    }
  }
}

/** Adds what `series` served since it was last read to its key's row, and marks it read. */
function takeUnread(into: Map<string, RecentUsage>, series: Series, maxKeys: number): void {
  const requests = series.requests - series.readRequests;
  if (requests === 0) return;
  const computeUnits = series.computeUnits - series.readComputeUnits;
  let row = into.get(series.keyId);
  if (row === undefined) {
    if (into.size >= maxKeys) return;
    row = {
      keyId: series.keyId,
      projectId: series.account.projectId,
      requests: 0,
      computeUnits: 0,
      rateLimited: 0,
    };
    into.set(series.keyId, row);
  }
  row.requests += requests;
  row.computeUnits += computeUnits;
  if (series.outcome === 'ERR_RATE_LIMITED') row.rateLimited += requests;
  series.readRequests = series.requests;
  series.readComputeUnits = series.computeUnits;
}
