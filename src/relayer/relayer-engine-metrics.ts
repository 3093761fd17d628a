/**
 * Relayer engine metrics, read at scrape time from the engine's plain counters (EngineStats)
 * and, for queue depth by state, from the store: one grouped count per scrape.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MetricsCollector } from '../metrics/collector.js';
import { METRIC } from '../metrics/names.js';
import type { RelayerEngine } from './engine/engine.js';
import type { RelayerStore } from './relayer-store.js';

const OPEN_STATES = ['accepted', 'batched', 'signed', 'submitted'] as const;
const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 150, 200, 250, 350, 500];
const CONFIRMATION_BUCKETS = [0.5, 1, 1.5, 2, 3, 5, 10, 20, 30, 60, 120, 300];

/** Engine counters and queue depth; `readEngine`/`readStore` give them once opened. */
export function relayerEngineMetrics(
  readEngine: () => RelayerEngine | undefined,
  readStore: () => RelayerStore | undefined,
): MetricsCollector {
  return (registry) => registerRelayerEngineMetrics(registry, readEngine, readStore);
}

function registerRelayerEngineMetrics(
  registry: Registry,
  readEngine: () => RelayerEngine | undefined,
  readStore: () => RelayerStore | undefined,
): void {
  const counter = (name: string, help: string, read: (engine: RelayerEngine) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect(this: Counter) {
        const engine = readEngine();
        if (engine === undefined) return;
        this.reset();
        this.inc(read(engine));
      },
    });
  counter(METRIC.relayerConfirmed, 'Transfers confirmed on chain by this process.', (e) => e.stats.confirmed);
  new Counter({
    name: METRIC.relayerFailed,
    help: 'Transfers that ended failed, by the failure code: ERR_RELAYER_TRANSFER_REVERTED (reverted alone), ERR_RELAYER_PREFLIGHT, ERR_RELAYER_INSUFFICIENT_FUNDS (no key could pay in time).',
    labelNames: ['reason'],
    registers: [registry],
    collect(this: Counter<'reason'>) {
      const engine = readEngine();
      if (engine === undefined) return;
      this.reset();
      for (const [reason, count] of engine.stats.failedByReason) this.labels(reason).inc(count);
    },
  });
  counter(METRIC.relayerBatches, 'Batch transactions signed and sent.', (e) => e.stats.batchesSent);
  counter(
    METRIC.relayerBisections,
    'Batches split in two because they would revert or did.',
    (e) => e.stats.bisections,
  );
  counter(METRIC.relayerNonceGaps, 'Nonces filled with a no-op transaction.', (e) => e.stats.nonceGaps);
  counter(
    METRIC.relayerPreflightHolds,
    'Batches given back because a key could not pay (balance or allowance).',
    (e) => e.stats.preflightHolds,
  );
  new Counter({
    name: METRIC.relayerReconcilerActions,
    help: 'What the reconciler did: resubmitted, confirmed, failed, dropped, noop, fee_bump, nonce_synced.',
    labelNames: ['action'],
    registers: [registry],
    collect(this: Counter<'action'>) {
      const engine = readEngine();
      if (engine === undefined) return;
      this.reset();
      for (const [action, count] of Object.entries(engine.stats.reconcilerActions))
        this.labels(action).inc(count);
    },
  });
  new Counter({
    name: METRIC.relayerWebhooks,
    help: 'Webhook deliveries by result: delivered, failed (will retry), abandoned.',
    labelNames: ['result'],
    registers: [registry],
    collect(this: Counter<'result'>) {
      const stats = readEngine()?.webhooks?.stats;
      if (stats === undefined) return;
      this.reset();
      this.labels('delivered').inc(stats.delivered);
      this.labels('failed').inc(stats.failed);
      this.labels('abandoned').inc(stats.abandoned);
    },
  });
  new Gauge({
    name: METRIC.relayerKeyInflight,
    help: 'Transactions each signing key has signed and not yet settled (this process).',
    labelNames: ['key'],
    registers: [registry],
    collect(this: Gauge<'key'>) {
      const engine = readEngine();
      if (engine === undefined) return;
      this.reset();
      for (const [key, count] of engine.stats.inFlight) this.labels(key).set(count);
    },
  });
  new Gauge({
    name: METRIC.relayerKeyNonce,
    help: 'The nonce each signing key of this process signs its next transaction at.',
    labelNames: ['key'],
    registers: [registry],
    // One process leases a key at a time; after a move the new holder's nonce is the higher.
    aggregator: 'max',
    collect(this: Gauge<'key'>) {
      const engine = readEngine();
      if (engine === undefined) return;
      this.reset();
      for (const [key, nonce] of engine.stats.nextNonce) this.labels(key).set(nonce);
    },
  });
  // Registered first so the scrape that drains the samples also shows them in both histograms.
  let batchSize: Histogram | undefined;
  const confirmation: Histogram = new Histogram({
    name: METRIC.relayerConfirmationSeconds,
    help: 'From accepted (stored) to confirmed on chain, per transfer.',
    buckets: CONFIRMATION_BUCKETS,
    registers: [registry],
    collect() {
      const engine = readEngine();
      if (engine === undefined) return;
      const samples = engine.stats.drainSamples();
      for (const size of samples.batchSizes) batchSize?.observe(size);
      for (const seconds of samples.confirmationSeconds) confirmation.observe(seconds);
    },
  });
  batchSize = new Histogram({
    name: METRIC.relayerBatchSize,
    help: 'Transfers per batch transaction.',
    buckets: BATCH_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: METRIC.relayerQueueDepth,
    help: 'Transfers not yet confirmed or failed, by state, in the shared store (all processes): the queue and its stages.',
    labelNames: ['state'],
    registers: [registry],
    // Every cluster worker counts the same shared store: merge by max, not the default sum.
    aggregator: 'max',
    async collect(this: Gauge<'state'>) {
      const store = readStore();
      if (store === undefined) return;
      const counts = await store.countByState({ openOnly: true }).catch(() => undefined);
      if (counts === undefined) return;
      // Terminal states are left out: counting them scans the whole table on every scrape
      // (0.3 s at a million rows); their rates are the confirmed/failed counters.
      for (const state of OPEN_STATES) this.labels(state).set(counts[state]);
    },
  });
}
