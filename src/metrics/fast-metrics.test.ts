import { AggregatorRegistry, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter, FastHistogram } from './fast-metrics.js';

function metricsOf() {
  const registry = new Registry();
  const counter = new FastCounter('t_requests_total', 'requests', ['network', 'status'], registry);
  const histogram = new FastHistogram('t_duration_seconds', 'duration', ['network'], registry, [0.1, 1]);
  return { registry, counter, histogram };
}

describe('FastCounter and FastHistogram', () => {
  it('render as Prometheus text through a prom-client registry', async () => {
    const { registry, counter, histogram } = metricsOf();
    counter.inc(['eth', 'ok']);
    counter.inc(['eth', 'ok']);
    counter.inc(['eth', 'ERR_NO_UPSTREAM'], 3);
    histogram.observe(['eth'], 0.05);
    histogram.observe(['eth'], 0.5);
    histogram.observe(['eth'], 7);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE t_requests_total counter');
    expect(text).toContain('t_requests_total{network="eth",status="ok"} 2');
    expect(text).toContain('t_requests_total{network="eth",status="ERR_NO_UPSTREAM"} 3');
    expect(text).toContain('# TYPE t_duration_seconds histogram');
    // Buckets are cumulative; +Inf equals the count.
    expect(text).toContain('t_duration_seconds_bucket{network="eth",le="0.1"} 1');
    expect(text).toContain('t_duration_seconds_bucket{network="eth",le="1"} 2');
    expect(text).toContain('t_duration_seconds_bucket{network="eth",le="+Inf"} 3');
    expect(text).toContain('t_duration_seconds_sum{network="eth"} 7.55');
    expect(text).toContain('t_duration_seconds_count{network="eth"} 3');
  });

  it('sum across cluster workers like prom-client metrics do', async () => {
    const a = metricsOf();
    const b = metricsOf();
    a.counter.inc(['eth', 'ok'], 2);
    b.counter.inc(['eth', 'ok'], 5);
    a.histogram.observe(['eth'], 0.05);
    b.histogram.observe(['eth'], 0.05);
    const merged = AggregatorRegistry.aggregate([
      await a.registry.getMetricsAsJSON(),
      await b.registry.getMetricsAsJSON(),
    ]);
    const text = await merged.metrics();
    expect(text).toContain('t_requests_total{network="eth",status="ok"} 7');
    expect(text).toContain('t_duration_seconds_bucket{network="eth",le="0.1"} 2');
    expect(text).toContain('t_duration_seconds_count{network="eth"} 2');
  });
});
