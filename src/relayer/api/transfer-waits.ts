/**
 * `?wait=`: requests held open until their transfers reach a state, at a cost that does not grow
 * with the waiters. One timer per process runs only while someone waits; each tick is one read
 * of the states of every waited transfer (chunked by the store), whoever waits on them. The
 * engine may run in another process (`engineProcess: own`, a fleet), so the database is the one
 * place a state change is seen. A waiter ends exactly once: reached, timed out (checked at each
 * tick, so up to `pollMs` late), its client gone, or `close()`; then its slot is free again.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { TransferRecord } from '../model.js';
import type { RelayerStore } from '../relayer-store.js';

export type WaitTarget = 'submitted' | 'confirmed';

export type WaitOutcome =
  /** Every transfer reached the target or failed; `records` in the order of the waited ids. */
  | { readonly kind: 'settled'; readonly records: readonly TransferRecord[] }
  /** The timeout ran out, the client went away, or the API is closing. */
  | { readonly kind: 'timeout' | 'gone' };

export interface TransferWaitsOptions {
  /** `relayer.wait.pollMs`. */
  readonly pollMs: number;
  /** `relayer.wait.maxWaiters`. */
  readonly maxWaiters: number;
  /** Seconds a client refused for capacity is told to wait. @default 1 */
  readonly retryAfterSeconds?: number;
  /** A tick's read failed; the waiters keep waiting (and their deadlines still apply). */
  readonly onReadError?: (err: unknown) => void;
}

interface Waiter {
  readonly ids: readonly string[];
  readonly target: WaitTarget;
  readonly deadline: number;
  readonly resolve: (outcome: WaitOutcome) => void;
  removeGoneListener: () => void;
}

const SUBMITTED_OR_LATER = new Set(['submitted', 'confirmed']);

export class TransferWaits {
  private readonly waiters = new Set<Waiter>();
  /** Slots taken: reserved for a request on its way to the store, or waiting. */
  private slots = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;

  constructor(
    private readonly store: Pick<RelayerStore, 'getTransfers'>,
    private readonly options: TransferWaitsOptions,
  ) {}

  /** Requests waiting or about to (reserved slots included). */
  get size(): number {
    return this.slots;
  }

  /**
   * Takes a slot before the request is stored, or throws ERR_RELAYER_WAIT_CAPACITY (so nothing
   * is stored for a request that could not wait). Then `wait` (which frees it) or `release`.
   */
  reserve(): void {
    if (this.slots >= this.options.maxWaiters)
      throw new GatewayError(
        'ERR_RELAYER_WAIT_CAPACITY',
        `${this.slots} requests are waiting in this process (relayer.wait.maxWaiters); nothing was stored: retry, or send the request without wait and read the transfers later`,
        { data: { retryAfterSeconds: this.options.retryAfterSeconds ?? 1 } },
      );
    this.slots++;
  }

  release(): void {
    this.slots--;
  }

  /**
   * Waits on a reserved slot until every transfer of `ids` reached `target` or failed.
   * `onClientGone` registers a listener for the client's departure and returns its remover.
   */
  wait(
    ids: readonly string[],
    target: WaitTarget,
    timeoutMs: number,
    onClientGone?: (listener: () => void) => () => void,
  ): Promise<WaitOutcome> {
    if (this.closed) {
      this.release();
      return Promise.resolve({ kind: 'timeout' });
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        ids,
        target,
        deadline: performance.now() + timeoutMs,
        resolve,
        removeGoneListener: noop,
      };
      this.waiters.add(waiter);
      if (onClientGone !== undefined)
        waiter.removeGoneListener = onClientGone(() => this.finish(waiter, { kind: 'gone' }));
      this.schedule();
    });
  }

  /** Ends every wait with `timeout` (their requests answer 202) and stops the timer. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of this.waiters) this.finish(waiter, { kind: 'timeout' });
  }

  private finish(waiter: Waiter, outcome: WaitOutcome): void {
    if (!this.waiters.delete(waiter)) return;
    this.slots--;
    waiter.removeGoneListener();
    waiter.resolve(outcome);
    if (this.waiters.size === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private schedule(): void {
    if (this.timer !== undefined || this.polling || this.closed || this.waiters.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, this.options.pollMs);
    // Waiting clients do not keep a process alive; close() ends them on shutdown.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.polling = true;
    const waiters = [...this.waiters];
    const ids = new Set<string>();
    for (const waiter of waiters) for (const id of waiter.ids) ids.add(id);
    let byId: Map<string, TransferRecord> | undefined;
    try {
      byId = new Map((await this.store.getTransfers([...ids])).map((record) => [record.id, record]));
    } catch (err) {
      this.options.onReadError?.(err);
    }
    const now = performance.now();
    for (const waiter of waiters) {
      const records = byId === undefined ? undefined : settledRecords(waiter, byId);
      if (records !== undefined) this.finish(waiter, { kind: 'settled', records });
      else if (now >= waiter.deadline) this.finish(waiter, { kind: 'timeout' });
    }
    this.polling = false;
    this.schedule();
  }
}

/** The waiter's records when each one reached the target or failed; otherwise undefined. */
function settledRecords(waiter: Waiter, byId: ReadonlyMap<string, TransferRecord>) {
  const records: TransferRecord[] = [];
  for (const id of waiter.ids) {
    const record = byId.get(id);
    if (record === undefined) return undefined;
    const reached =
      record.state === 'failed' ||
      (waiter.target === 'confirmed' ? record.state === 'confirmed' : SUBMITTED_OR_LATER.has(record.state));
    if (!reached) return undefined;
    records.push(record);
  }
  return records;
}

function noop(): void {}
