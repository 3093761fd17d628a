/** Realtime metrics, read from RealtimeStats at scrape time (the socket path bumps integers only). */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricsCollector } from '../metrics/collector.js';
import { FastHistogram } from '../metrics/fast-metrics.js';
import { METRIC } from '../metrics/names.js';
import type { FeedTotals, RealtimeStats } from './realtime-stats.js';

/** Kinds always exported (0 before their first notification); others appear once used. */
const KINDS = ['newHeads', 'logs'] as const;

/** Seconds; a block's fan-out to 10,000 subscribers takes tens of milliseconds. */
const FEED_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10];

export function realtimeMetrics(stats: RealtimeStats): MetricsCollector {
  return (registry: Registry) => {
    const feedPublish = new FastHistogram(
      METRIC.realtimeFeedPublish,
      'Seconds from the chain tracker step that showed a block to its last subscription notification handed to the sockets, by network.',
      ['network'],
      registry,
      FEED_BUCKETS,
    );
    stats.feedPublished = (network, seconds) => feedPublish.observe([network], seconds);
    new Gauge({
      name: METRIC.realtimeConnections,
      help: 'WebSocket connections open now.',
      registers: [registry],
      aggregator: 'sum',
      collect() {
        this.set(stats.connections);
      },
    });
    new Counter({
      name: METRIC.realtimeMessages,
      help: 'WebSocket messages: JSON-RPC messages received (in) and answers sent (out).',
      labelNames: ['direction'],
      registers: [registry],
      collect(this: Counter<'direction'>) {
        this.reset();
        this.labels('in').inc(stats.messagesIn);
        this.labels('out').inc(stats.messagesOut);
      },
    });
    new Gauge({
      name: METRIC.realtimeSubscriptions,
      help: 'eth_subscribe subscriptions held now, by kind.',
      labelNames: ['kind'],
      registers: [registry],
      aggregator: 'sum',
      collect(this: Gauge<'kind'>) {
        const held = stats.subscriptions();
        this.labels('newHeads').set(held.newHeads);
        this.labels('logs').set(held.logs);
        this.labels('newPendingTransactions').set(held.newPendingTransactions);
      },
    });
    new Counter({
      name: METRIC.realtimeNotifications,
      help: 'eth_subscription notifications sent to WebSocket clients, by subscription kind.',
      labelNames: ['kind'],
      registers: [registry],
      collect(this: Counter<'kind'>) {
        this.reset();
        for (const kind of KINDS) this.labels(kind).inc(0);
        for (const [kind, counter] of stats.notificationsByKind) this.labels(kind).inc(counter.sent);
      },
    });
    const feedCounter = (name: string, help: string, read: (totals: FeedTotals) => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect(this: Counter) {
          this.reset();
          this.inc(read(stats.feeds()));
        },
      });
    feedCounter(
      METRIC.realtimeBackfilledBlocks,
      'Block headers the subscription feeds read to fill a gap (heights the chain tracker skipped, or below a reorg).',
      (totals) => totals.backfilled,
    );
    feedCounter(METRIC.realtimeReorgs, 'Reorgs the subscription feeds delivered.', (totals) => totals.reorgs);
    feedCounter(
      METRIC.realtimeReorgNotifications,
      'Log notifications sent again with removed: true because a reorg orphaned their block.',
      (totals) => totals.removedLogs,
    );
    new Counter({
      name: METRIC.realtimeConnectionRegistryFailures,
      help: 'WebSocket handshakes whose fleet-wide connection count Redis could not give (the per-process limit applied).',
      registers: [registry],
      collect(this: Counter) {
        this.reset();
        this.inc(stats.registryFailures);
      },
    });
    new Counter({
      name: METRIC.realtimeSlowConsumers,
      help: 'WebSocket connections closed (4008) because their send buffer passed realtime.maxSendBufferBytes.',
      registers: [registry],
      collect(this: Counter) {
        this.reset();
        this.inc(stats.slowConsumersClosed);
      },
    });
    new Counter({
      name: METRIC.realtimeRefusedUpgrades,
      help: 'WebSocket handshakes refused before the upgrade, by error code.',
      labelNames: ['code'],
      registers: [registry],
      collect(this: Counter<'code'>) {
        this.reset();
        for (const [code, count] of stats.refused) this.labels(code).inc(count);
      },
    });
  };
}
