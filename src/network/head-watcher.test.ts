import { afterEach, describe, expect, it } from 'vitest';
import { type FakeWsNode, startFakeWsNode } from '../../test/support/fake-ws-node.js';
import { waitFor } from '../../test/support/realtime-feed-harness.js';
import type { HeadHint } from '../cache/poll-nudge.js';
import { networkSchema } from '../config/schema.js';
import { Upstream } from '../upstream/upstream.js';
import { HeadWatcher, headHint } from './head-watcher.js';

const nodes: FakeWsNode[] = [];
const upstreams: Upstream[] = [];
const watchers: HeadWatcher[] = [];

afterEach(async () => {
  for (const watcher of watchers.splice(0)) watcher.stop();
  await Promise.all(upstreams.splice(0).map((upstream) => upstream.destroy()));
  await Promise.all(nodes.splice(0).map((node) => node.close()));
});

const HASH = `0x${'ab'.repeat(32)}`;

describe('headHint', () => {
  it('takes only a hex number and a 32-byte hash, lowercased', () => {
    expect(headHint({ number: '0x1f', hash: HASH.toUpperCase().replace('0X', '0x'), miner: 'x' })).toEqual({
      number: 31,
      hash: HASH,
    });
    for (const bad of [
      null,
      'x',
      { number: 31, hash: HASH },
      { number: '0x1f' },
      { number: '0x1f', hash: '0x12' },
    ])
      expect(headHint(bad)).toBeUndefined();
    expect(headHint({ number: `0x${'f'.repeat(17)}`, hash: HASH })).toBeUndefined();
  });
});

describe('HeadWatcher', () => {
  it('nudges with the heads of upstreams with a wsUrl, ignoring an upstream not available for traffic', async () => {
    for (let i = 0; i < 2; i++) nodes.push(await startFakeWsNode());
    const config = networkSchema.parse({
      upstreams: [
        { id: 'plain', url: 'http://127.0.0.1:9' },
        ...nodes.map((node, i) => ({ id: `ws${i}`, url: 'http://127.0.0.1:9', wsUrl: node.url })),
      ],
    });
    upstreams.push(...config.upstreams.map((upstream, i) => new Upstream(upstream, i, 'n', config)));
    const hints: HeadHint[] = [];
    const watcher = new HeadWatcher({ upstreams, nudge: (hint) => hints.push(hint) });
    watchers.push(watcher);
    expect(watcher.hasSources).toBe(true);
    watcher.start();
    await waitFor('both sockets', () => watcher.stats.alive === 2);
    upstreams[2]!.lagging = true;
    nodes[0]!.notify({ number: '0x5', hash: HASH });
    nodes[1]!.notify({ number: '0x6', hash: HASH });
    nodes[0]!.notify({ number: 'bad' });
    await waitFor('the heads read', () => watcher.stats.heads + watcher.stats.ignored === 3);
    expect(hints).toEqual([{ number: 5, hash: HASH }]);
    expect(watcher.stats).toMatchObject({ heads: 1, ignored: 2 });
    watcher.stop();
    await waitFor('the sockets closed', () => nodes.every((node) => node.subscribed === 0));
  });
});
