import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeWsNode, startFakeWsNode } from '../../test/support/fake-ws-node.js';
import { waitFor } from '../../test/support/realtime-feed-harness.js';
import { UpstreamSubscription, type UpstreamSubscriptionOptions } from './upstream-subscription.js';

let node: FakeWsNode;
const made: UpstreamSubscription<number>[] = [];

beforeEach(async () => {
  node = await startFakeWsNode();
});

afterEach(async () => {
  for (const subscription of made.splice(0)) subscription.stop();
  await node.close();
});

function subscribe(extra: Partial<UpstreamSubscriptionOptions<number>> = {}) {
  const values: number[] = [];
  const states: boolean[] = [];
  const subscription = new UpstreamSubscription<number>({
    url: node.url,
    headers: { 'x-api-key': 'secret' },
    params: ['newHeads'],
    pick: (result) => {
      const number = (result as { number?: unknown } | null)?.number;
      return typeof number === 'number' ? number : undefined;
    },
    onValue: (value) => values.push(value),
    onState: (alive) => states.push(alive),
    backoffMs: 20,
    maxBackoffMs: 100,
    ...extra,
  });
  made.push(subscription);
  subscription.start();
  return { subscription, values, states };
}

describe('UpstreamSubscription', () => {
  it('subscribes with the configured headers and passes on what pick takes, nothing else', async () => {
    const { subscription, values } = subscribe();
    await waitFor('the subscription', () => subscription.alive);
    expect(node.lastHeaders?.['x-api-key']).toBe('secret');
    node.notify({ number: 7, other: 'x' });
    node.notify({ hash: 'no number' });
    node.sendRaw('not json');
    node.sendRaw(
      '{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0xother","result":{"number":9}}}',
    );
    node.notify({ number: 8 });
    await waitFor('two values', () => values.length === 2);
    expect(values).toEqual([7, 8]);
    expect(subscription.stats).toMatchObject({ values: 2, ignored: 3, subscribed: 1 });
  });

  it('reconnects after the node drops the socket, and is told down and up once each', async () => {
    const { subscription, values, states } = subscribe();
    await waitFor('the subscription', () => subscription.alive);
    node.dropAll();
    await waitFor('a second subscription', () => subscription.stats.subscribed === 2 && subscription.alive);
    node.notify({ number: 1 });
    await waitFor('a value after the reconnect', () => values.length === 1);
    expect(states).toEqual([true, false, true]);
    expect(subscription.stats.drops).toBe(1);
  });

  it('retries a refused subscription with backoff and never reports it alive', async () => {
    node.refuse = true;
    const { subscription, states } = subscribe();
    await waitFor('three attempts', () => node.connections >= 3);
    expect(subscription.alive).toBe(false);
    expect(states).toEqual([false]);
    node.refuse = false;
    await waitFor('accepted at last', () => subscription.alive);
  });

  it('drops a socket whose message is larger than the bound', async () => {
    const { subscription } = subscribe({ maxMessageBytes: 1024 });
    await waitFor('the subscription', () => subscription.alive);
    node.notify({ number: 1, padding: 'x'.repeat(4096) });
    await waitFor('the drop', () => subscription.stats.drops >= 1);
    await waitFor('back again', () => subscription.alive);
  });

  it('stops: the socket closes and no reconnect follows', async () => {
    const { subscription } = subscribe();
    await waitFor('the subscription', () => subscription.alive);
    subscription.stop();
    await waitFor('the node sees the socket gone', () => node.subscribed === 0);
    const connections = node.connections;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(node.connections).toBe(connections);
    expect(subscription.alive).toBe(false);
  });

  it('backs off by doubling up to the cap, jittered by ±50 %', () => {
    const at = (random: number) =>
      new UpstreamSubscription<number>({
        url: node.url,
        headers: {},
        params: [],
        pick: () => undefined,
        onValue: () => undefined,
        backoffMs: 100,
        maxBackoffMs: 1_000,
        random: () => random,
      });
    expect([1, 2, 3, 4, 5, 60].map((attempt) => at(0.5).backoff(attempt))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
    expect(at(0).backoff(1)).toBe(50);
    expect(at(0.999).backoff(60)).toBeLessThanOrEqual(1_500);
  });
});
