/**
 * Why upstream calls failed, told apart in metrics and logs: a closed port (refused), a node that
 * never answers (timeout) and one that resets the connection (reset), through a real fault proxy
 * in front of a real anvil. Clients still get the documented codes (ERR_UPSTREAM_CONNECT,
 * ERR_UPSTREAM_TIMEOUT).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { metricsText, metricValue } from './failover-support.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { rpc } from './support/rpc.js';

let node: AnvilNode;
let proxy: FaultProxy;
let gw: Gateway | undefined;

beforeAll(async () => {
  node = await startAnvil();
});

afterEach(async () => {
  await gw?.close(1_000);
  gw = undefined;
  await proxy?.close();
});

afterAll(async () => {
  await node?.stop();
});

async function gatewayBehindProxy(): Promise<{ url: string; baseUrl: string }> {
  proxy = await startFaultProxy(node.url);
  // One attempt per request and a breaker that never opens: every request is exactly one failed
  // attempt. No probes after the start-up check (as in a cluster worker that does not probe),
  // so none races the requests to a verdict.
  gw = createGateway(
    {
      logging: { level: 'silent' },
      networks: {
        anvil: {
          chainId: 31337,
          upstreams: [{ id: 'node', url: proxy.url }],
          failsafe: {
            attemptTimeoutMs: 300,
            deadlineMs: 1_000,
            retry: { maxAttempts: 1 },
            breaker: { consecutiveFailures: 1_000, minRequests: 1_000 },
          },
        },
      },
    },
    { probes: false },
  );
  const { url: baseUrl } = await gw.listen(0, '127.0.0.1');
  return { url: `${baseUrl}/anvil`, baseUrl };
}

describe('upstream failure reasons', () => {
  it.each([
    ['refused', 'ERR_UPSTREAM_CONNECT', (p: FaultProxy) => p.pause()],
    ['timeout', 'ERR_UPSTREAM_TIMEOUT', (p: FaultProxy) => p.setFault({ kind: 'hang' })],
    ['reset', 'ERR_UPSTREAM_CONNECT', (p: FaultProxy) => p.setFault({ kind: 'reset' })],
  ] as const)('%s: counted under its reason, the client code stays %s', async (reason, code, inject) => {
    const { url, baseUrl } = await gatewayBehindProxy();
    await inject(proxy);
    for (let id = 0; id < 3; id++) {
      const res = await rpc(url, 'eth_gasPrice', [], { id });
      expect(res.body).toMatchObject({ id, error: { data: { code } } });
    }
    const text = await metricsText(baseUrl);
    const failures = { network: 'anvil', upstream: 'node', source: 'request' };
    expect(metricValue(text, 'turnpike_upstream_failures_total', { ...failures, reason })).toBe(3);
    // … and under no other reason.
    expect(metricValue(text, 'turnpike_upstream_failures_total', failures)).toBe(3);
    expect(metricValue(text, 'turnpike_upstream_attempts_total', { outcome: code })).toBe(3);
  });
});
