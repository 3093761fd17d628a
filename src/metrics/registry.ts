/**
 * Prometheus metrics of one gateway: a registry that modules register their collectors with
 * (`register`), plus what belongs to no module: prom-client's process metrics, the request-path
 * metrics fed by diagnostics_channel events, and event-loop health. Imports no domain module.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MetricsCollector } from './collector.js';
import { registerEventLoopDelayGauge, registerEventLoopGauge } from './event-loop-metrics.js';
import { subscribeRequestMetrics } from './request-metrics.js';

export interface GatewayMetrics {
  readonly registry: Registry;
  /** Adds a module's metrics to the registry. */
  register(collector: MetricsCollector): void;
  close(): void;
}

export interface MetricsOptions {
  /** Label for per-worker metrics (event loop). */
  readonly workerLabel: string;
  /** Reads the gateway's count of HTTP requests in progress at scrape time. */
  readonly readInflight: () => number;
  /** The `owner`s (networks) whose request events this registry counts. */
  readonly owners: Iterable<object>;
}

export function createMetrics(options: MetricsOptions): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const unsubscribe = subscribeRequestMetrics(registry, options.owners, options.readInflight);
  registerEventLoopGauge(registry, options.workerLabel);
  const stopDelayMonitor = registerEventLoopDelayGauge(registry, options.workerLabel);
  return {
    registry,
    register: (collector) => collector(registry),
    close: () => {
      unsubscribe();
      stopDelayMonitor();
    },
  };
}
