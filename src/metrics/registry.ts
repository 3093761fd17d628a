/**
 * Prometheus metrics of one gateway. Request-path numbers arrive through diagnostics_channel
 * subscriptions; upstream state is read at scrape time, so the hot path does no metric work
 * beyond one counter and one histogram per event.
 */
import type diagnostics from 'node:diagnostics_channel';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { type Aggregator, Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { CacheTiers } from '../cache/open-cache.js';
import {
  type BreakerEvent,
  breakerChannel,
  type HedgeEvent,
  hedgeChannel,
  type ProbeEvent,
  probeChannel,
  type RequestEndEvent,
  type RetryEvent,
  requestEndChannel,
  retryChannel,
  type UpstreamAttemptEvent,
  upstreamAttemptChannel,
} from '../events/channels.js';
import type { Network } from '../network/network.js';
import type { RelayerEngine } from '../relayer/engine/engine.js';
import type { RelayerStore } from '../relayer/relayer-store.js';
import { MethodLabels } from '../rpc/method-labels.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import type { Upstream } from '../upstream/upstream.js';
import { registerCacheMetrics } from './cache-metrics.js';
import { FastCounter, FastHistogram } from './fast-metrics.js';
import { METRIC } from './names.js';
import { registerRelayerEngineMetrics } from './relayer-engine-metrics.js';
import { registerTenancyMetrics } from './tenancy-metrics.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

export interface GatewayMetrics {
  readonly registry: Registry;
  close(): void;
}

export function createMetrics(
  networks: readonly Network[],
  workerLabel: string,
  /** Reads the gateway's count of HTTP requests in progress at scrape time. */
  readInflight: () => number,
  /** The tenancy layer, once opened. */
  readTenancy: () => Tenancy | undefined = () => undefined,
  cache?: CacheTiers,
  relayer?: { engine: () => RelayerEngine | undefined; store: () => RelayerStore | undefined },
): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const methods = new MethodLabels();
  const ownedNetworks = new Set<object>(networks);

  // Per-request metrics: lightweight series that prom-client reads at scrape time.
  const requests = new FastCounter(
    METRIC.requests,
    'JSON-RPC requests by network, method and outcome.',
    ['network', 'method', 'status'],
    registry,
  );
  const duration = new FastHistogram(
    METRIC.requestDuration,
    'Time from parsed request to response entry, seconds.',
    ['network', 'method'],
    registry,
    LATENCY_BUCKETS,
  );
  new Gauge({
    name: METRIC.inflightRequests,
    help: 'HTTP requests in progress.',
    registers: [registry],
    collect() {
      this.set(readInflight());
    },
  });
  const attempts = new FastCounter(
    METRIC.upstreamAttempts,
    'Upstream attempts by outcome.',
    ['network', 'upstream', 'outcome'],
    registry,
  );
  const failures = new FastCounter(
    METRIC.upstreamFailures,
    'Failed upstream calls (requests and health probes) by why they failed: refused, reset, closed, connect_timeout, timeout, dns, tls, unreachable, http_status, rate_limited, bad_response, node_error, too_large, other.',
    ['network', 'upstream', 'source', 'reason'],
    registry,
  );
  const upstreamLatency = new FastHistogram(
    METRIC.upstreamLatency,
    'Upstream attempt latency, seconds.',
    ['network', 'upstream'],
    registry,
    LATENCY_BUCKETS,
  );
  const retries = new Counter({
    name: METRIC.retries,
    help: 'Retries to another upstream, by the failure that caused them.',
    labelNames: ['network', 'reason'],
    registers: [registry],
  });
  const hedges = new Counter({
    name: METRIC.hedges,
    help: 'Hedged attempts started, and those that won.',
    labelNames: ['network', 'phase'],
    registers: [registry],
  });
  const transitions = new Counter({
    name: METRIC.breakerTransitions,
    help: 'Circuit breaker state changes.',
    labelNames: ['network', 'upstream', 'state'],
    registers: [registry],
  });
  registerUpstreamGauges(registry, networks);
  registerEventLoopGauge(registry, workerLabel);
  const stopDelayMonitor = registerEventLoopDelayGauge(registry, workerLabel);
  registerTenancyMetrics(registry, readTenancy);
  registerCacheMetrics(registry, networks, cache);
  if (relayer !== undefined) registerRelayerEngineMetrics(registry, relayer.engine, relayer.store);

  const onRequest = (message: unknown) => {
    const event = message as RequestEndEvent;
    if (!ownedNetworks.has(event.owner)) return;
    const method = methods.label(event.method);
    requests.inc([event.network, method, event.outcome]);
    duration.observe([event.network, method], event.durationMs / 1000);
  };
  const onAttempt = (message: unknown) => {
    const event = message as UpstreamAttemptEvent;
    if (!ownedNetworks.has(event.owner)) return;
    attempts.inc([event.network, event.upstream, event.outcome]);
    if (event.reason !== undefined) failures.inc([event.network, event.upstream, 'request', event.reason]);
    if (event.outcome !== 'cancelled')
      upstreamLatency.observe([event.network, event.upstream], event.durationMs / 1000);
  };
  const onProbe = (message: unknown) => {
    const event = message as ProbeEvent;
    if (ownedNetworks.has(event.owner)) failures.inc([event.network, event.upstream, 'probe', event.reason]);
  };
  const onRetry = (message: unknown) => {
    const event = message as RetryEvent;
    if (ownedNetworks.has(event.owner)) retries.labels(event.network, event.reason).inc();
  };
  const onHedge = (message: unknown) => {
    const event = message as HedgeEvent;
    if (ownedNetworks.has(event.owner)) hedges.labels(event.network, event.phase).inc();
  };
  const onBreaker = (message: unknown) => {
    const event = message as BreakerEvent;
    if (ownedNetworks.has(event.owner)) transitions.labels(event.network, event.upstream, event.state).inc();
  };
  const subscriptions: [diagnostics.Channel, (message: unknown) => void][] = [
    [requestEndChannel, onRequest],
    [upstreamAttemptChannel, onAttempt],
    [probeChannel, onProbe],
    [retryChannel, onRetry],
    [hedgeChannel, onHedge],
    [breakerChannel, onBreaker],
  ];
  for (const [channel, handler] of subscriptions) channel.subscribe(handler);

  return {
    registry,
    close: () => {
      for (const [channel, handler] of subscriptions) channel.unsubscribe(handler);
      stopDelayMonitor();
    },
  };
}

type UpstreamGauge = Gauge<'network' | 'upstream'>;

function registerUpstreamGauges(registry: Registry, networks: readonly Network[]): void {
  // Every cluster worker reports its own view; the primary merges them with `aggregator`
  // (a sum would double a block head or a breaker state).
  const gauge = (
    name: string,
    help: string,
    value: (upstream: Upstream, network: Network) => number,
    aggregator: Aggregator = 'max',
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['network', 'upstream'],
      registers: [registry],
      aggregator,
      collect(this: UpstreamGauge) {
        for (const network of networks) {
          for (const upstream of network.upstreams) {
            this.labels(network.name, upstream.id).set(value(upstream, network));
          }
        }
      },
    });
  gauge(METRIC.upstreamInflight, 'Requests in flight to each upstream.', (u) => u.inflight, 'sum');
  gauge(
    METRIC.upstreamQueued,
    'Requests waiting for a free connection of the upstream pool (pool.connections is too small when this grows).',
    (u) => u.queued,
    'sum',
  );
  gauge(
    METRIC.upstreamAvailable,
    '1 when the upstream may take traffic (in every worker).',
    (u) => (u.isAvailable() ? 1 : 0),
    'min',
  );
  gauge(
    METRIC.upstreamBreakerState,
    'Breaker state: 0 closed, 1 half-open, 2 open.',
    (u) => BREAKER_VALUE[u.breaker.state],
  );
  gauge(METRIC.upstreamHead, 'Highest block seen from the upstream (-1 unknown).', (u) => u.head);
  gauge(METRIC.upstreamHeadLag, 'Blocks behind the highest head of the network.', (u, n) => {
    if (u.head < 0) return 0;
    let highest = u.head;
    // As lag exclusion judges it (health.updateLag): a node on the wrong chain sets no pace.
    for (const other of n.upstreams) if (!other.chainIdMismatch) highest = Math.max(highest, other.head);
    return highest - u.head;
  });
  gauge(METRIC.upstreamErrorRate, 'Failure ratio of recent attempts (the breaker window).', (u) =>
    u.breaker.errorRate(),
  );
  gauge(METRIC.upstreamExcluded, '1 when excluded (chain id mismatch or lagging).', (u) =>
    u.excluded ? 1 : 0,
  );
}

function registerEventLoopGauge(registry: Registry, workerLabel: string): void {
  let last = performance.eventLoopUtilization();
  new Gauge({
    name: METRIC.eventLoopUtilization,
    help: 'Event loop utilization since the previous scrape (0–1), per worker.',
    labelNames: ['worker'],
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      this.labels(workerLabel).set(performance.eventLoopUtilization(now, last).utilization);
      last = now;
    },
  });
}

/**
 * How often the delay monitor's timer is due. Each tick is one wake-up of an idle worker (≈ 0.1 ms
 * of CPU on a small VM); a delay longer than this is still measured to the tick, as lateness.
 */
const DELAY_RESOLUTION_MS = 20;
/** The quantiles exported; 1 is the maximum. */
const DELAY_QUANTILES = [0.5, 0.99, 1] as const;

/**
 * Event-loop delay per worker over the window since the previous scrape: how late the monitor's
 * timer ran, beyond its period. perf_hooks restarts its delta on reset, so the one tick interval
 * that spans a scrape is not counted (the utilization gauge still sees that time). A window with
 * no tick at all means the loop was blocked for (nearly) all of it, and says so.
 */
function registerEventLoopDelayGauge(registry: Registry, workerLabel: string): () => void {
  const histogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  histogram.enable();
  let windowStart = performance.now();
  // Ticks are recorded as the time between them: period plus lateness.
  const lateness = (ns: number) => Math.max(0, ns - DELAY_RESOLUTION_MS * 1e6) / 1e9;
  new Gauge({
    name: METRIC.eventLoopDelay,
    help: 'Event-loop delay since the previous scrape (lateness of a 20-ms timer), seconds, per worker; quantile 1 is the maximum.',
    labelNames: ['worker', 'quantile'],
    registers: [registry],
    // A sum or mean of two workers' delays would describe neither; with one series per worker
    // label this only matters if two labels ever collided.
    aggregator: 'max',
    collect() {
      const now = performance.now();
      // The first tick after a reset only restarts the delta, so a window without a recorded
      // tick and longer than two periods was blocked for at least the rest of it.
      const blocked = Math.max(0, now - windowStart - 2 * DELAY_RESOLUTION_MS) / 1000;
      for (const q of DELAY_QUANTILES)
        this.labels(workerLabel, String(q)).set(
          histogram.count > 0 ? lateness(q === 1 ? histogram.max : histogram.percentile(q * 100)) : blocked,
        );
      histogram.reset();
      windowStart = now;
    },
  });
  return () => histogram.disable();
}
