/**
 * Group commit for the intake: requests that arrive within `flushMs` are stored by ONE
 * `store.acceptMany` call (one database transaction), and each caller hears back only after
 * that commit resolved. At most one commit is in flight per process; requests arriving during
 * it wait and form the next one, so under load a commit carries everything that queued up
 * meanwhile (this is what makes thousands of durable accepts per second possible on one disk).
 * A failed commit fails every request in it with ERR_RELAYER_UNAVAILABLE: nothing was stored.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { AcceptRequest, AcceptResult } from '../model.js';
import type { RelayerStore } from '../relayer-store.js';

interface Waiter {
  readonly request: AcceptRequest;
  resolve(result: AcceptResult): void;
  reject(err: GatewayError): void;
}

export interface IntakeBufferOptions {
  /** How long the first request of a group waits for others (`relayer.acceptFlushMs`). */
  readonly flushMs: number;
  /** Called after every commit with how many requests it carried and whether it held. */
  readonly onCommit?: (requests: number, durationMs: number, ok: boolean) => void;
  readonly now?: () => number;
}

export class IntakeBuffer {
  private pending: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private committing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly store: Pick<RelayerStore, 'acceptMany'>,
    private readonly options: IntakeBufferOptions,
  ) {}

  /** Resolves once the request's commit resolved; rejects with ERR_RELAYER_UNAVAILABLE if it failed. */
  submit(request: AcceptRequest): Promise<AcceptResult> {
    if (this.closed)
      return Promise.reject(new GatewayError('ERR_RELAYER_UNAVAILABLE', 'the relayer is shutting down'));
    return new Promise<AcceptResult>((resolve, reject) => {
      this.pending.push({ request, resolve, reject });
      // During a commit the next group starts when it ends; otherwise the first request opens one.
      if (this.committing === undefined && this.timer === undefined) this.schedule();
    });
  }

  /** Requests waiting for a commit (not counting the one in flight). */
  get waiting(): number {
    return this.pending.length;
  }

  /** Refuses new requests and stores the ones already waiting. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      if (this.committing === undefined) this.commit();
    }
    while (this.committing !== undefined) await this.committing;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.commit();
    }, this.options.flushMs);
  }

  private commit(): void {
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    const now = this.options.now ?? Date.now;
    const started = performance.now();
    this.committing = this.run(group, now()).then((ok) => {
      this.options.onCommit?.(group.length, performance.now() - started, ok);
      this.committing = undefined;
      // Whatever queued up during the commit has waited long enough: store it now.
      if (this.pending.length > 0) this.commit();
    });
  }

  private async run(group: readonly Waiter[], now: number): Promise<boolean> {
    let results: AcceptResult[];
    try {
      results = await this.store.acceptMany(
        group.map((waiter) => waiter.request),
        now,
      );
      if (results.length !== group.length)
        throw new Error(`acceptMany answered ${results.length} results for ${group.length} requests`);
    } catch (err) {
      const error = new GatewayError(
        'ERR_RELAYER_UNAVAILABLE',
        'the transfers could not be stored; retry with the same Idempotency-Key',
        { cause: err },
      );
      for (const waiter of group) waiter.reject(error);
      return false;
    }
    for (let i = 0; i < group.length; i++) group[i]!.resolve(results[i]!);
    return true;
  }
}
