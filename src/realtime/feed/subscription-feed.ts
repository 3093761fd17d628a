/**
 * The engine behind `eth_subscribe` for one network, independent of the socket transport:
 * `subscribe(kind, params, sink, resumeFrom?)` → a held subscription (or the GatewayError to
 * answer), `start()` on it once its id is sent, `unsubscribe(id)`. Blocks come from the chain
 * sync (the gateway's own canonical chain, loaded through the network pipeline); each block's
 * logs are read once and matched here against every `logs` subscriber. Guarantees and limits are
 * in docs/subscriptions.md.
 */
import { randomBytes } from 'node:crypto';
import { GatewayError } from '../../errors/gateway-error.js';
import { feedBlockChannel } from '../../events/channels.js';
import { BlockLoader, type FeedRpc } from './block-loader.js';
import { ChainSync, type ChainSyncStats, type FeedChain } from './chain-sync.js';
import {
  type BlockPoint,
  type FeedBlock,
  type FeedLog,
  type FeedNotification,
  removedNotification,
} from './feed-block.js';
import { FeedHistory, type ResumePlan } from './feed-history.js';
import { type FeedSink, FeedSubscription, type SubscriptionOwner } from './feed-subscription.js';
import { type LogFilter, matchesKey, parseLogFilter } from './log-filter.js';
import { type FilterGroup, LogRoutes } from './log-routes.js';
import {
  type PendingFeedSource,
  type PendingSourceFactory,
  pendingNotification,
  pendingRefusal,
} from './pending-kind.js';

export interface SubscriptionFeedOptions {
  /** Network name, for messages. */
  network: string;
  chain: FeedChain;
  /** One call through the network pipeline (`Network.call`). */
  rpc: FeedRpc;
  /** Canonical blocks kept for resuming. @default 256 */
  historyBlocks?: number;
  /** JSON bytes of headers and logs kept for resuming. @default 67108864 (64 MiB) */
  historyBytes?: number;
  /** Blocks read to link a new head to the last delivered one before continuity is given up. @default 1024 */
  maxBackfill?: number;
  /** First pause after a failed read; doubles up to 2 s. @default 100 */
  retryMs?: number;
  /** Told about failed reads and steps (they are retried). */
  onError?: (err: unknown) => void;
  /**
   * Makes the source of `newPendingTransactions` (pending-source.ts), started while pending
   * subscribers exist; undefined when no upstream of the network has a WebSocket endpoint.
   */
  pendingSource?: PendingSourceFactory | undefined;
  /**
   * Told, for every new canonical block, the milliseconds from the chain tracker's step that
   * showed it to its last notification handed to the sinks (the feed's own share of delivery).
   */
  onPublished?: (ms: number) => void;
}

export interface SubscriptionFeedStats extends ChainSyncStats {
  readonly subscriptions: { readonly newHeads: number; readonly logs: number };
  /** Live `newPendingTransactions` subscriptions. */
  readonly pendingSubscriptions: number;
  readonly notifications: number;
  readonly notificationsByKind: {
    readonly newHeads: number;
    readonly logs: number;
    readonly newPendingTransactions: number;
  };
  readonly removedLogs: number;
  readonly refusedSinks: number;
  readonly historyBlocks: number;
  readonly historyBytes: number;
}

export class SubscriptionFeed implements SubscriptionOwner {
  private readonly history: FeedHistory;
  private readonly sync: ChainSync;
  private readonly byId = new Map<string, FeedSubscription>();
  private readonly heads = new Set<FeedSubscription>();
  private readonly logs = new LogRoutes();
  private readonly pending = new Set<FeedSubscription>();
  private pendingSource: PendingFeedSource | undefined;
  private readonly counts = { notifications: 0, removedLogs: 0, refusedSinks: 0 };
  private readonly byKind = { newHeads: 0, logs: 0, newPendingTransactions: 0 };
  private started = false;
  private closed = false;

  constructor(private readonly options: SubscriptionFeedOptions) {
    this.history = new FeedHistory({
      blocks: options.historyBlocks ?? 256,
      bytes: options.historyBytes ?? 64 * 1024 * 1024,
    });
    const report = options.onError;
    const loader = new BlockLoader({
      rpc: options.rpc,
      ...(options.retryMs !== undefined && { retryMs: options.retryMs }),
      ...(report !== undefined && { onRetry: (_what: string, err: unknown) => report(err) }),
    });
    this.sync = new ChainSync({
      chain: options.chain,
      loader,
      history: this.history,
      maxBackfill: options.maxBackfill ?? 1024,
      retryMs: options.retryMs ?? 100,
      hooks: {
        orphaned: (blocks) => this.publishRemoved(blocks),
        added: (block, seenAt) => {
          const loadedAt = performance.now();
          const before = this.counts.notifications;
          this.publish(block);
          const handedAt = performance.now();
          options.onPublished?.(handedAt - seenAt);
          if (feedBlockChannel.hasSubscribers)
            traceBlock(
              options.network,
              block.number,
              [seenAt, loadedAt, handedAt],
              this.counts.notifications - before,
            );
        },
        gap: (error) => this.endAll(error),
        failed: (err) => report?.(err),
      },
    });
  }

  /** Starts following the chain (the first subscription does it too). */
  start(): void {
    if (this.closed || this.started) return;
    this.started = true;
    this.sync.start();
  }

  /** The last block delivered (what a new subscription starts after). */
  get tip(): BlockPoint | undefined {
    const tip = this.history.tip;
    return tip === undefined ? undefined : { hash: tip.hash, number: tip.number };
  }

  /**
   * A held subscription, or the error to answer `eth_subscribe` with. `resumeFrom` names the last
   * block the subscriber received (a Turnpike extension); call `start()` on the result once its
   * id has been sent.
   */
  subscribe(
    kind: string,
    params: unknown,
    sink: FeedSink,
    resumeFrom?: BlockPoint,
  ): FeedSubscription | GatewayError {
    if (this.closed) return closedError(this.options.network);
    if (kind === 'newPendingTransactions') return this.subscribePending(params, sink, resumeFrom);
    let filter: LogFilter | undefined;
    if (kind === 'logs') {
      try {
        filter = parseLogFilter(params);
      } catch (err) {
        if (err instanceof GatewayError) return err;
        throw err;
      }
    } else if (kind !== 'newHeads') {
      return new GatewayError(
        'ERR_REALTIME_INVALID_SUBSCRIPTION',
        `unsupported subscription ${JSON.stringify(kind)}: newHeads, logs or newPendingTransactions`,
      );
    } else if (params !== undefined && params !== null) {
      return new GatewayError('ERR_REALTIME_INVALID_SUBSCRIPTION', 'newHeads takes no parameters');
    }
    let from = this.tip;
    if (resumeFrom !== undefined) {
      const plan = this.history.plan(resumeFrom);
      if (plan instanceof GatewayError) return plan;
      from = { hash: resumeFrom.hash.toLowerCase(), number: resumeFrom.number };
    }
    const id = `0x${randomBytes(16).toString('hex')}`;
    const subscription = new FeedSubscription(id, kind, filter, sink, from, this);
    this.byId.set(id, subscription);
    this.start();
    return subscription;
  }

  /** Ends a subscription quietly; false when the id is unknown. */
  unsubscribe(id: string): boolean {
    const subscription = this.byId.get(id);
    if (subscription === undefined) return false;
    subscription.cancel();
    return true;
  }

  get(id: string): FeedSubscription | undefined {
    return this.byId.get(id);
  }

  /** @internal `FeedSubscription.start()`: replay from its point, then live. */
  activate(subscription: FeedSubscription): void {
    if (subscription.kind === 'newPendingTransactions') {
      subscription.markLive();
      this.pending.add(subscription);
      if (this.pending.size === 1) this.pendingSource?.start();
      return;
    }
    const plan: ResumePlan | GatewayError =
      subscription.from === undefined
        ? { removed: [], added: this.history.after(-1) }
        : this.history.plan(subscription.from);
    if (plan instanceof GatewayError) {
      subscription.end(plan);
      return;
    }
    subscription.markLive();
    (subscription.kind === 'logs' ? this.logs : this.heads).add(subscription);
    if (subscription.kind === 'logs') {
      for (const block of plan.removed) this.removedTo(subscription, block);
      for (const block of plan.added) this.logsTo(subscription, block);
    } else for (const block of plan.added) this.send(subscription, block.head);
  }

  /** @internal a subscription ended. */
  drop(subscription: FeedSubscription): void {
    this.byId.delete(subscription.id);
    this.heads.delete(subscription);
    this.logs.delete(subscription);
    // The upstream subscription is held only while someone listens.
    if (this.pending.delete(subscription) && this.pending.size === 0) this.pendingSource?.stop();
  }

  /** Resolves once every head seen so far has been delivered (tests, drain). */
  settled(): Promise<void> {
    return this.sync.settled();
  }

  /** Stops following and ends every subscription with `ERR_REALTIME_FEED_CLOSED`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sync.stop();
    this.endAll(closedError(this.options.network));
    this.pendingSource?.stop();
  }

  get stats(): SubscriptionFeedStats {
    return {
      ...this.sync.stats,
      ...this.counts,
      subscriptions: { newHeads: this.heads.size, logs: this.logs.size },
      pendingSubscriptions: this.pending.size,
      notificationsByKind: { ...this.byKind },
      historyBlocks: this.history.size,
      historyBytes: this.history.bytes,
    };
  }

  /** `newPendingTransactions` (pending-kind.ts): live only, no resume. */
  private subscribePending(params: unknown, sink: FeedSink, resumeFrom: BlockPoint | undefined) {
    const make = this.options.pendingSource;
    const refusal = pendingRefusal(this.options.network, params, resumeFrom, make);
    if (refusal !== undefined || make === undefined) return refusal!;
    this.pendingSource ??= make((hash) => {
      const note = pendingNotification(hash);
      for (const subscription of this.pending) this.send(subscription, note);
    });
    const id = `0x${randomBytes(16).toString('hex')}`;
    const subscription = new FeedSubscription(id, 'newPendingTransactions', undefined, sink, undefined, this);
    this.byId.set(id, subscription);
    return subscription;
  }

  private publish(block: FeedBlock): void {
    for (const subscription of this.heads) this.send(subscription, block.head);
    if (this.logs.size === 0) return;
    for (const entry of block.logs) {
      this.sendMatching(this.logs.anyAddress, entry, entry.added);
      const named = this.logs.forAddress(entry.key.address);
      if (named !== undefined) this.sendMatching(named, entry, entry.added);
    }
  }

  private publishRemoved(blocks: readonly FeedBlock[]): void {
    if (this.logs.size === 0) return;
    for (const block of blocks) {
      for (const entry of block.logs) {
        const named = this.logs.forAddress(entry.key.address);
        if (this.logs.anyAddress.size === 0 && named === undefined) continue;
        const note = removedNotification(entry);
        this.counts.removedLogs += this.sendMatching(this.logs.anyAddress, entry, note);
        if (named !== undefined) this.counts.removedLogs += this.sendMatching(named, entry, note);
      }
    }
  }

  /** Sends `note` to every subscription of the `candidates` groups whose filter matches `entry`; returns how many took it. */
  private sendMatching(candidates: ReadonlySet<FilterGroup>, entry: FeedLog, note: FeedNotification): number {
    let sent = 0;
    for (const group of candidates) {
      if (!matchesKey(group.filter, entry.key)) continue;
      for (const subscription of group.members) if (this.send(subscription, note)) sent++;
    }
    return sent;
  }

  private logsTo(subscription: FeedSubscription, block: FeedBlock): void {
    for (const entry of block.logs)
      if (matchesKey(subscription.filter!, entry.key)) this.send(subscription, entry.added);
  }

  private removedTo(subscription: FeedSubscription, block: FeedBlock): void {
    for (const entry of block.logs)
      if (matchesKey(subscription.filter!, entry.key)) {
        if (this.send(subscription, removedNotification(entry))) this.counts.removedLogs++;
      }
  }

  private send(subscription: FeedSubscription, note: FeedNotification): boolean {
    if (subscription.state !== 'live') return false;
    if (subscription.deliver(note)) {
      this.counts.notifications++;
      this.byKind[subscription.kind]++;
      return true;
    }
    this.counts.refusedSinks++;
    return false;
  }

  private endAll(reason: GatewayError): void {
    for (const subscription of [...this.byId.values()]) subscription.end(reason);
  }
}

/** Publishes the block's timings once the sockets' corked writes have gone out (the next turn). */
function traceBlock(network: string, number: number, times: readonly number[], notifications: number): void {
  const [seenAt = 0, loadedAt = 0, handedAt = 0] = times.map((t) => performance.timeOrigin + t);
  setImmediate(() => {
    const writtenAt = performance.timeOrigin + performance.now();
    feedBlockChannel.publish({ network, number, seenAt, loadedAt, handedAt, writtenAt, notifications });
  });
}

function closedError(network: string): GatewayError {
  return new GatewayError('ERR_REALTIME_FEED_CLOSED', `the subscription feed of ${network} is closed`);
}
