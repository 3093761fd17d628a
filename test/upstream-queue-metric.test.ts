/**
 * turnpike_upstream_queued shows requests waiting for a connection of an upstream's pool: with
 * one connection and a slow upstream, concurrent requests queue behind it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { type GatewayFixture, startGatewayFixture } from './support/gateway-fixture.js';

let anvil: AnvilNode;
let proxy: FaultProxy;
let fixture: GatewayFixture;

beforeAll(async () => {
  anvil = await startAnvil();
  proxy = await startFaultProxy(anvil.url);
  fixture = await startGatewayFixture({
    upstreamUrls: [proxy.url],
    upstream: { pool: { connections: 1 } },
    network: { cache: { enabled: false }, failsafe: { attemptTimeoutMs: 10_000, deadlineMs: 10_000 } },
  });
});
afterAll(async () => {
  await fixture?.close();
  await proxy?.close();
  await anvil?.stop();
});

function queued(metrics: string): number {
  const line = metrics.split('\n').find((row) => row.startsWith('turnpike_upstream_queued{'));
  return Number(line?.split(' ').pop());
}

it('counts requests waiting for the one pooled connection of a slow upstream', async () => {
  const metricsBefore = await (await fetch(`${fixture.baseUrl}/metrics`)).text();
  expect(queued(metricsBefore)).toBe(0);
  proxy.setFault({ kind: 'latency', ms: 1_500 });
  const calls = Array.from({ length: 5 }, (_, i) =>
    fetch(fixture.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: i,
        method: 'eth_getBalance',
        params: [`0x${'0'.repeat(39)}${i + 1}`, '0x0'],
      }),
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  const during = await (await fetch(`${fixture.baseUrl}/metrics`)).text();
  expect(queued(during)).toBeGreaterThanOrEqual(1);
  proxy.setFault(null);
  for (const response of await Promise.all(calls)) expect(response.status).toBe(200);
  const after = await (await fetch(`${fixture.baseUrl}/metrics`)).text();
  expect(queued(after)).toBe(0);
}, 30_000);
