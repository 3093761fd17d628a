import type { SubscriptionFeed } from './feed/subscription-feed.js';

/** Totals of the subscription feeds (feed/subscription-feed.ts stats). */
export interface FeedTotals {
  /** Headers read beyond the chain tracker's steps, to fill a gap. */
  readonly backfilled: number;
  readonly reorgs: number;
  /** `removed: true` log notifications sent. */
  readonly removedLogs: number;
}

/**
 * The realtime module's plain counters: the socket path bumps integers, metrics read them at
 * scrape time (realtime-metrics.ts) and tests read them directly.
 */
export class RealtimeStats {
  /** Sockets open now. */
  connections = 0;
  /** JSON-RPC messages received from clients. */
  messagesIn = 0;
  /** Answers sent to clients. */
  messagesOut = 0;
  /** `eth_subscription` notifications sent to clients. */
  notifications = 0;
  /** Subscriptions held now, by kind (read from the feeds at scrape time). */
  subscriptions: () => HeldSubscriptions = () => ({ newHeads: 0, logs: 0, newPendingTransactions: 0 });
  /** What the networks' subscription feeds did (summed over them at scrape time). */
  feeds: () => FeedTotals = () => ({ backfilled: 0, reorgs: 0, removedLogs: 0 });
  /** Handshakes whose fleet-wide connection count Redis could not give (the per-process limit applied). */
  registryFailures = 0;
  /** Sockets closed with 4008 because their send buffer passed `maxSendBufferBytes`. */
  slowConsumersClosed = 0;
  /** The most unsent answer bytes any socket has held (the bound the slow-consumer close keeps). */
  peakSendBufferBytes = 0;
  /** Notifications sent, by subscription kind: one counter object per kind, bumped by the sinks. */
  readonly notificationsByKind = new Map<string, { sent: number }>();
  /**
   * A feed published a block: `seconds` from the tracker's step that showed it to its last
   * notification handed to the sockets (set by realtime-metrics.ts to its histogram).
   */
  feedPublished: (network: string, seconds: number) => void = () => {};
  /** Handshakes refused, by error code. */
  readonly refused = new Map<string, number>();

  /** The counter of `kind` (a kind the feed accepted, so the set is bounded). */
  notificationCounter(kind: string): { sent: number } {
    let counter = this.notificationsByKind.get(kind);
    if (counter === undefined) {
      counter = { sent: 0 };
      this.notificationsByKind.set(kind, counter);
    }
    return counter;
  }

  refuse(code: string): void {
    this.refused.set(code, (this.refused.get(code) ?? 0) + 1);
  }
}

/** Subscriptions held now, by kind. */
export interface HeldSubscriptions {
  readonly newHeads: number;
  readonly logs: number;
  readonly newPendingTransactions: number;
}

/** Points the feed-backed figures of `stats` at the networks' feeds (summed at scrape time). */
export function readFeeds(stats: RealtimeStats, feeds: ReadonlyMap<string, SubscriptionFeed>): void {
  stats.subscriptions = () => {
    let newHeads = 0;
    let logs = 0;
    let newPendingTransactions = 0;
    for (const feed of feeds.values()) {
      const { subscriptions: held, pendingSubscriptions } = feed.stats;
      newHeads += held.newHeads;
      logs += held.logs;
      newPendingTransactions += pendingSubscriptions;
    }
    return { newHeads, logs, newPendingTransactions };
  };
  stats.feeds = () => {
    let backfilled = 0;
    let reorgs = 0;
    let removedLogs = 0;
    for (const feed of feeds.values()) {
      const { stats: counts } = feed;
      backfilled += counts.backfilled;
      reorgs += counts.reorgs;
      removedLogs += counts.removedLogs;
    }
    return { backfilled, reorgs, removedLogs };
  };
}
