/**
 * Upstream gauges of the gateway's networks (in flight, queued, availability, breaker, head,
 * lag, error rate, exclusion), read from the upstreams at scrape time.
 */
import { type Aggregator, Gauge, type Registry } from 'prom-client';
import type { MetricsCollector } from '../metrics/collector.js';
import { METRIC } from '../metrics/names.js';
import type { Upstream } from '../upstream/upstream.js';
import type { Network } from './network.js';

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

type UpstreamGauge = Gauge<'network' | 'upstream'>;

/** Upstream state per network, read at scrape time. */
export function upstreamMetrics(networks: readonly Network[]): MetricsCollector {
  return (registry) => registerUpstreamGauges(registry, networks);
}

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
