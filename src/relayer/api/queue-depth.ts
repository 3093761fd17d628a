/**
 * Back-pressure: an estimate of the open transfers (accepted, not yet confirmed or failed) that
 * costs no query per request. `store.countOpen()` is read at most every `refreshMs`; between
 * reads the estimate adds what this process stored since, and what it reserved for requests
 * still waiting for their commit. It errs on the full side: a transfer stored while a read runs
 * may count twice until the next read.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { RelayerStore } from '../relayer-store.js';

export interface QueueDepthOptions {
  /** `relayer.maxQueueDepth`. */
  readonly max: number;
  /** @default 250 */
  readonly refreshMs?: number;
  /** Seconds a refused client is told to wait. @default 2 */
  readonly retryAfterSeconds?: number;
  readonly now?: () => number;
}

export class QueueDepth {
  private counted: number | undefined;
  private countedAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;
  /** Transfers this process stored since the last read started. */
  private storedSinceRead = 0;
  /** Transfers reserved by requests still waiting for (or in) a commit. */
  private reserved = 0;

  constructor(
    private readonly store: Pick<RelayerStore, 'countOpen'>,
    private readonly options: QueueDepthOptions,
  ) {}

  /** The current estimate; waits only for the very first read. */
  async estimate(): Promise<number> {
    const now = (this.options.now ?? Date.now)();
    if (now - this.countedAt >= (this.options.refreshMs ?? 250)) this.refresh(now);
    if (this.counted === undefined) await this.reading;
    if (this.counted === undefined)
      throw new GatewayError(
        'ERR_RELAYER_UNAVAILABLE',
        'the relayer queue depth could not be read; retry shortly',
      );
    return this.current();
  }

  private current(): number {
    return (this.counted ?? 0) + this.storedSinceRead + this.reserved;
  }

  /**
   * Reserves room for `transfers` or throws ERR_RELAYER_QUEUE_FULL (with Retry-After data).
   * Then call `stored` (they were stored as new) or `release` (they were not).
   */
  async reserve(transfers: number): Promise<void> {
    await this.estimate();
    // Read again after the await: requests that resumed first may have reserved meanwhile.
    const depth = this.current();
    if (depth + transfers > this.options.max) {
      const retryAfterSeconds = this.options.retryAfterSeconds ?? 2;
      throw new GatewayError(
        'ERR_RELAYER_QUEUE_FULL',
        `the relayer queue is full (${depth} open transfers, at most ${this.options.max}); retry later`,
        { data: { retryAfterSeconds } },
      );
    }
    this.reserved += transfers;
  }

  stored(transfers: number): void {
    this.reserved -= transfers;
    this.storedSinceRead += transfers;
  }

  release(transfers: number): void {
    this.reserved -= transfers;
  }

  private refresh(now: number): void {
    if (this.reading !== undefined) return;
    const base = this.storedSinceRead;
    this.countedAt = now;
    this.reading = this.store
      .countOpen()
      .then(
        (count) => {
          this.counted = count;
          // What was stored before the read started is in the count now.
          this.storedSinceRead -= base;
        },
        () => {
          // Keep the last count; the next request tries again after refreshMs.
        },
      )
      .finally(() => {
        this.reading = undefined;
      });
  }
}
