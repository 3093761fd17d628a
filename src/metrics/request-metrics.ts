/**
 * Request-path metrics (and the HTTP in-flight gauge): counters and histograms fed by the diagnostics_channel events the
 * pipeline publishes (events/channels.ts), so the hot path does no metric work beyond one
 * counter and one histogram per event. Events of other gateways in the process (their
 * `owner` is not one of ours) are ignored.
 */
import type diagnostics from 'node:diagnostics_channel';
import { Counter, Gauge, type Registry } from 'prom-client';
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
  type StagesEvent,
  stagesChannel,
  type UpstreamAttemptEvent,
  upstreamAttemptChannel,
} from '../events/channels.js';
import { MethodLabels } from '../rpc/method-labels.js';
import { BUILTIN_METHOD_NAMES } from '../rpc/methods/rules.js';
import { FastCounter, FastHistogram, type HistogramData } from './fast-metrics.js';
import { METRIC } from './names.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Stages take microseconds (read, parse, select) to seconds (upstream): finer at the low end. */
const STAGE_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
  0.5, 1, 2.5, 5, 10,
];
/** The `Server-Timing` stages, in the order a request meets them, and the whole request. */
export const STAGES = ['read', 'parse', 'auth', 'cache', 'select', 'upstream', 'total'] as const;

/** Registers the request-path metrics and subscribes them; returns the unsubscribe. */
export function subscribeRequestMetrics(
  registry: Registry,
  owners: Iterable<object>,
  /** Reads the gateway's count of HTTP requests in progress at scrape time. */
  readInflight: () => number,
): () => void {
  // Table names keep their label even without an `_` (NEAR's `status`, `block`, `query`).
  const methods = new MethodLabels(256, BUILTIN_METHOD_NAMES);
  const ownedNetworks = new Set<object>(owners);
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
  const retries = new FastCounter(
    METRIC.retries,
    'Retries to another upstream, by the upstream retried away from and the failure that caused them.',
    ['network', 'upstream', 'reason'],
    registry,
  );
  const hedges = new FastCounter(
    METRIC.hedges,
    'Hedged attempts started, and those that won, by the upstream the hedge went to.',
    ['network', 'upstream', 'phase'],
    registry,
  );
  const stageDuration = new FastHistogram(
    METRIC.stageDuration,
    'Time per Server-Timing stage of an HTTP JSON-RPC request (read, parse, auth, cache, select, upstream; total is the whole request), seconds. A stage that did not run is not observed.',
    ['network', 'stage'],
    registry,
    STAGE_BUCKETS,
  );
  /** Each network's stage series, found once: a request costs one Map lookup here. */
  const stageRows = new Map<object, HistogramData[]>();
  const transitions = new Counter({
    name: METRIC.breakerTransitions,
    help: 'Circuit breaker state changes.',
    labelNames: ['network', 'upstream', 'state'],
    registers: [registry],
  });

  const onRequest = (message: unknown) => {
    const event = message as RequestEndEvent;
    if (!ownedNetworks.has(event.owner)) return;
    const method = methods.label(event.method);
    requests.inc([event.network, method, event.outcome]);
    duration.observe([event.network, method], event.durationMs / 1000);
  };
  const onStages = (message: unknown) => {
    const event = message as StagesEvent;
    let row = stageRows.get(event.owner);
    if (row === undefined) {
      if (!ownedNetworks.has(event.owner)) return;
      row = STAGES.map((stage) => stageDuration.seriesOf([event.network, stage]));
      stageRows.set(event.owner, row);
    }
    const { timing } = event;
    stageDuration.observeInto(row[0]!, timing.readMs / 1000);
    if (timing.authMs !== undefined) stageDuration.observeInto(row[2]!, timing.authMs / 1000);
    if (timing.cacheMs !== undefined) stageDuration.observeInto(row[3]!, timing.cacheMs / 1000);
    if (!timing.knownHit) {
      stageDuration.observeInto(row[1]!, timing.parseMs / 1000);
      stageDuration.observeInto(row[4]!, timing.selectMs / 1000);
      stageDuration.observeInto(row[5]!, timing.upstreamMs / 1000);
    }
    stageDuration.observeInto(row[6]!, event.totalMs / 1000);
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
    if (ownedNetworks.has(event.owner)) retries.inc([event.network, event.upstream, event.reason]);
  };
  const onHedge = (message: unknown) => {
    const event = message as HedgeEvent;
    if (ownedNetworks.has(event.owner)) hedges.inc([event.network, event.upstream, event.phase]);
  };
  const onBreaker = (message: unknown) => {
    const event = message as BreakerEvent;
    if (ownedNetworks.has(event.owner)) transitions.labels(event.network, event.upstream, event.state).inc();
  };
  const subscriptions: [diagnostics.Channel, (message: unknown) => void][] = [
    [requestEndChannel, onRequest],
    [stagesChannel, onStages],
    [upstreamAttemptChannel, onAttempt],
    [probeChannel, onProbe],
    [retryChannel, onRetry],
    [hedgeChannel, onHedge],
    [breakerChannel, onBreaker],
  ];
  for (const [channel, handler] of subscriptions) channel.subscribe(handler);
  return () => {
    for (const [channel, handler] of subscriptions) channel.unsubscribe(handler);
  };
}
