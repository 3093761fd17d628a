/**
 * Event-loop utilization and delay per worker, measured over the window since the previous
 * scrape. Generic process health: no module registers these, createMetrics does.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';
import { METRIC } from './names.js';

export function registerEventLoopGauge(registry: Registry, workerLabel: string): void {
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
export function registerEventLoopDelayGauge(registry: Registry, workerLabel: string): () => void {
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
