import { afterEach, describe, expect, it } from 'vitest';
import { type FakeWsNode, startFakeWsNode } from '../../test/support/fake-ws-node.js';
import { waitFor } from '../../test/support/realtime-feed-harness.js';
import { networkSchema } from '../config/schema.js';
import { Upstream } from '../upstream/upstream.js';
import { PendingSource } from './pending-source.js';

const nodes: FakeWsNode[] = [];
const sources: PendingSource[] = [];
const upstreams: Upstream[] = [];

afterEach(async () => {
  for (const source of sources.splice(0)) source.stop();
  await Promise.all(upstreams.splice(0).map((upstream) => upstream.destroy()));
  await Promise.all(nodes.splice(0).map((node) => node.close()));
});

const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;

async function setup(count: number, recent?: number) {
  for (let i = 0; i < count; i++) nodes.push(await startFakeWsNode());
  const config = networkSchema.parse({
    upstreams: nodes.map((node, i) => ({ id: `u${i}`, url: 'http://127.0.0.1:9', wsUrl: node.url })),
  });
  upstreams.push(...config.upstreams.map((upstream, i) => new Upstream(upstream, i, 'n', config)));
  const hashes: string[] = [];
  const source = new PendingSource({
    upstreams,
    onHash: (h) => hashes.push(h),
    socket: { backoffMs: 20, maxBackoffMs: 100 },
    ...(recent !== undefined && { recent }),
  });
  sources.push(source);
  return { source, hashes };
}

describe('PendingSource', () => {
  it('holds one upstream subscription, moves to the next when it drops, and drops repeated hashes', async () => {
    const { source, hashes } = await setup(2);
    source.start();
    await waitFor('one subscription', () => nodes[0]!.subscribed + nodes[1]!.subscribed === 1);
    const [first, second] = nodes[0]!.subscribed === 1 ? [nodes[0]!, nodes[1]!] : [nodes[1]!, nodes[0]!];
    first.notify(hash(1));
    first.notify('not a hash');
    first.notify(hash(2));
    await waitFor('two hashes', () => hashes.length === 2);
    await first.close();
    await waitFor('the other upstream', () => second.subscribed === 1);
    // The new node announces what its mempool holds, partly known already.
    second.notify(hash(2));
    second.notify(hash(3));
    await waitFor('the new hash', () => hashes.length === 3);
    expect(hashes).toEqual([hash(1), hash(2), hash(3)]);
    expect(source.stats).toMatchObject({ hashes: 3, duplicates: 1, switches: 1 });
    source.stop();
    await waitFor('no subscription once stopped', () => second.subscribed === 0);
  });

  it('forgets the oldest hashes past its bound', async () => {
    const { source, hashes } = await setup(1, 2);
    source.start();
    await waitFor('the subscription', () => nodes[0]!.subscribed === 1);
    for (const n of [1, 2, 3, 1]) nodes[0]!.notify(hash(n));
    await waitFor('four hashes', () => hashes.length === 4);
    expect(hashes).toEqual([hash(1), hash(2), hash(3), hash(1)]);
  });
});
