/**
 * Tenancy metrics, read from the tenancy layer's own counters at scrape time (the request path
 * only bumps plain integers). Refusals by reason are in turnpike_requests_total{status}.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricsCollector } from '../metrics/collector.js';
import { METRIC } from '../metrics/names.js';
import type { Tenancy } from './tenancy.js';

/** Tenancy counters; `read` gives the tenancy layer once opened (nothing is counted before). */
export function tenancyMetrics(read: () => Tenancy | undefined): MetricsCollector {
  return (registry) => registerTenancyMetrics(registry, read);
}

function registerTenancyMetrics(registry: Registry, read: () => Tenancy | undefined): void {
  new Counter({
    name: METRIC.authFailures,
    help: 'Requests refused before admission: no key, unknown/revoked key, or the key store unreachable.',
    labelNames: ['reason'],
    registers: [registry],
    collect(this: Counter<'reason'>) {
      const failures = read()?.authFailures;
      if (failures === undefined) return;
      this.reset();
      for (const [reason, count] of Object.entries(failures)) this.labels(reason).inc(count);
    },
  });
  new Counter({
    name: METRIC.rateLimitBackendFailures,
    help: 'Rate-limit decisions Redis (or the cluster primary) could not make; settled by tenancy.rateLimitFailure.',
    registers: [registry],
    collect(this: Counter) {
      const tenancy = read();
      if (tenancy === undefined) return;
      this.reset();
      this.inc(tenancy.rateLimitFailures);
    },
  });
  new Gauge({
    name: METRIC.rateLimitFleetSize,
    help: 'Processes sharing the Redis rate limits, as last seen (rateLimitFailure local: each keeps limit / this while Redis is down).',
    registers: [registry],
    aggregator: 'max',
    collect() {
      const fleet = read()?.parts.fleet;
      if (fleet !== undefined) this.set(fleet.size);
    },
  });
  new Counter({
    name: METRIC.usageFlushes,
    help: 'Usage meter writes to the database, by result.',
    labelNames: ['result'],
    registers: [registry],
    collect(this: Counter<'result'>) {
      const stats = read()?.parts.meter?.stats;
      if (stats === undefined) return;
      this.reset();
      this.labels('ok').inc(stats.flushes);
      this.labels('failed').inc(stats.failures);
    },
  });
  new Gauge({
    name: METRIC.usagePendingSeries,
    help: 'Usage series waiting for the next flush (key × network × method × outcome).',
    registers: [registry],
    aggregator: 'sum',
    collect() {
      this.set(read()?.parts.meter?.pendingSeries ?? 0);
    },
  });
  new Gauge({
    name: METRIC.keyCacheEntries,
    help: 'API keys held in the in-process lookup cache.',
    registers: [registry],
    aggregator: 'sum',
    collect() {
      this.set(read()?.parts.keys?.size ?? 0);
    },
  });
  new Gauge({
    name: METRIC.projectCreditsLeft,
    help: 'Prepaid compute units left per project with a cached key (usage served here subtracted).',
    labelNames: ['project'],
    registers: [registry],
    // Each worker subtracts only what it served since the last balance read: the lowest is closest.
    aggregator: 'min',
    collect(this: Gauge<'project'>) {
      const keys = read()?.parts.keys;
      if (keys === undefined) return;
      this.reset();
      for (const [project, left] of keys.creditsLeftByProject()) this.labels(project).set(left);
    },
  });
}
