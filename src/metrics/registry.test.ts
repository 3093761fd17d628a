import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { requestEndChannel } from '../events/channels.js';
import { METRIC } from './names.js';
import { createMetrics, type GatewayMetrics } from './registry.js';

let metrics: GatewayMetrics | undefined;
afterEach(() => metrics?.close());

describe('createMetrics', () => {
  it('holds the process, request-path and event-loop metrics, and what modules register', async () => {
    const owner = {};
    metrics = createMetrics({ workerLabel: '3', readInflight: () => 7, owners: [owner] });
    metrics.register((registry) => {
      new Counter({ name: 'turnpike_test_module_total', help: 'A module metric.', registers: [registry] });
    });
    const text = await metrics.registry.metrics();
    for (const name of [
      'process_cpu_user_seconds_total',
      METRIC.requests,
      METRIC.eventLoopDelay,
      'turnpike_test_module_total',
    ])
      expect(text).toContain(`# TYPE ${name} `);
    expect(text).toContain(`${METRIC.inflightRequests} 7`);
    expect(text).toContain(`${METRIC.eventLoopUtilization}{worker="3"}`);
  });

  it('counts the request events of its own owners only, until closed', async () => {
    const owner = {};
    metrics = createMetrics({ workerLabel: '0', readInflight: () => 0, owners: [owner] });
    const event = { network: 'eth', method: 'eth_chainId', outcome: 'ok', durationMs: 1 };
    requestEndChannel.publish({ ...event, owner });
    requestEndChannel.publish({ ...event, owner: {} });
    metrics.close();
    requestEndChannel.publish({ ...event, owner });
    const text = await metrics.registry.metrics();
    expect(text).toContain(`${METRIC.requests}{network="eth",method="eth_chainId",status="ok"} 1\n`);
    metrics = undefined;
  });
});
