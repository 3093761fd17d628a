/**
 * Subscriptions fed by upstream WebSocket heads, on real anvil nodes over real sockets: with the
 * head poll at ten minutes, only an upstream's `newHeads` notification (a nudge to the chain
 * tracker) can bring new blocks to subscribers; the upstream's socket is taken away through a
 * WebSocket relay (test/support/ws-relay.ts) and heads keep coming from the other upstream, after
 * a reconnect, or from polling. `newPendingTransactions` from an anvil without automine: sent
 * transactions' hashes arrive, once, also after the source moved to another upstream.
 */
import { createPublicClient, webSocket } from 'viem';
import { anvil as anvilChain } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnpikeConfigInput } from '../src/config/schema.js';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { blockAt, call, headNumber, sleep, waitFor } from './support/realtime-feed-harness.js';
import { closed, openSocket } from './support/ws-client.js';
import { startWsRelay, type WsRelay } from './support/ws-relay.js';

/** Longer than any test here: polling cannot be what delivers a block. */
const NO_POLL_MS = 600_000;

let anvil: AnvilNode;
let mempool: AnvilNode;
let relays: WsRelay[] = [];
let gateway: Gateway;
let base: string;

const wsOf = (node: AnvilNode) => node.url.replace(/^http/, 'ws');

function config(): TurnpikeConfigInput {
  const [a, b, solo, lone, pa, pb] = relays.map((relay) => relay.url);
  const noPoll = { headPollMs: NO_POLL_MS, finality: 'depth' as const, depth: 5 };
  return {
    logging: { level: 'silent' },
    networks: {
      direct: { upstreams: [{ url: anvil.url, wsUrl: wsOf(anvil) }], cache: noPoll },
      'two-ws': {
        upstreams: [
          { id: 'a', url: anvil.url, wsUrl: a },
          { id: 'b', url: anvil.url, wsUrl: b },
        ],
        cache: noPoll,
      },
      reconnects: { upstreams: [{ url: anvil.url, wsUrl: solo }], cache: noPoll },
      polls: { upstreams: [{ url: anvil.url, wsUrl: lone }], cache: { headPollMs: 300 } },
      'uncached-ws': {
        upstreams: [{ url: anvil.url, wsUrl: wsOf(anvil) }],
        cache: { enabled: false, headPollMs: NO_POLL_MS },
      },
      mempool: {
        upstreams: [
          { id: 'pa', url: mempool.url, wsUrl: pa },
          { id: 'pb', url: mempool.url, wsUrl: pb },
        ],
      },
    },
  };
}

beforeAll(async () => {
  [anvil, mempool] = await Promise.all([startAnvil(), startAnvil({ noMining: true })]);
  relays = await Promise.all(
    [anvil, anvil, anvil, anvil, mempool, mempool].map((node) => startWsRelay(wsOf(node))),
  );
  gateway = createGateway(config());
  const { port } = await gateway.listen(0, '127.0.0.1');
  base = `ws://127.0.0.1:${port}`;
});

afterAll(async () => {
  await gateway?.close(1_000);
  await Promise.all(relays.map((relay) => relay.close()));
  await Promise.all([anvil?.stop(), mempool?.stop()]);
});

const network = (name: string) => gateway.networks.get(name)!;

async function mine(blocks: number): Promise<void> {
  for (let i = 0; i < blocks; i++) {
    await call(anvil.url, 'anvil_mine', ['0x1']);
    await sleep(50);
  }
}

/**
 * A viem client watching blocks on `name`, and a raw socket subscribed to newHeads beside it.
 * viem reads each announced block with its own eth_getBlockByNumber and calls back when that
 * answer arrives, so its order is the order of those answers; the raw socket shows the order the
 * gateway sent.
 */
async function watch(name: string) {
  const client = createPublicClient({
    chain: anvilChain,
    transport: webSocket(`${base}/${name}`, { reconnect: false }),
  });
  const viem: Head[] = [];
  const unwatch = client.watchBlocks({
    onBlock: (block) => viem.push({ number: Number(block.number), hash: block.hash }),
  });
  const ws = await openSocket(`${base}/${name}`);
  const raw: Head[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    const head = message.params?.result;
    if (head?.number !== undefined) raw.push({ number: Number.parseInt(head.number, 16), hash: head.hash });
  });
  ws.send('{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}');
  await waitFor(
    `the subscriptions on ${name}`,
    () => gateway.realtime!.feedOf(name)?.stats.subscriptions.newHeads === 2,
  );
  await waitFor(
    `the feed of ${name} has its first block`,
    () => gateway.realtime!.feedOf(name)?.tip !== undefined,
  );
  return {
    viem,
    raw,
    async stop() {
      unwatch();
      (await client.transport.getRpcClient()).close();
      ws.close();
      await closed(ws);
    },
  };
}

interface Head {
  number: number;
  hash: string;
}

/** `count` blocks mined now reach both watchers: the node's blocks, sent in order. */
async function expectNext(watcher: { viem: Head[]; raw: Head[] }, count: number): Promise<void> {
  const from = await headNumber(anvil.url);
  await mine(count);
  const expected = Array.from({ length: count }, (_, i) => from + 1 + i);
  const after = (heads: Head[]) => heads.filter((head) => head.number > from);
  await waitFor(`${count} blocks after ${from}`, () =>
    [watcher.viem, watcher.raw].every((heads) => after(heads).length >= count),
  );
  expect(after(watcher.raw).map((head) => head.number)).toEqual(expected);
  expect(
    after(watcher.viem)
      .map((head) => head.number)
      .sort((a, b) => a - b),
  ).toEqual(expected);
  for (const head of [...after(watcher.raw), ...after(watcher.viem)])
    expect(head.hash).toBe((await blockAt(anvil.url, head.number)).hash);
}

describe('new heads from upstream WebSockets', () => {
  it('viem watchBlocks receives mined blocks in order with the head poll at ten minutes', async () => {
    const watcher = await watch('direct');
    await waitFor('the head socket', () => network('direct').heads.stats.alive === 1);
    await expectNext(watcher, 5);
    expect(network('direct').tracker.stats.nudgedPolls).toBeGreaterThanOrEqual(1);
    await watcher.stop();
    await waitFor('the head socket closed once nobody follows', async () => {
      await gateway.realtime!.feedOf('direct')!.close();
      return network('direct').heads.stats.alive === 0;
    });
  });

  it('keeps delivering from the other upstream when one upstream socket dies', async () => {
    const watcher = await watch('two-ws');
    await waitFor('both head sockets', () => network('two-ws').heads.stats.alive === 2);
    await relays[0]!.pause();
    await waitFor('one head socket left', () => network('two-ws').heads.stats.alive === 1);
    await expectNext(watcher, 3);
    await relays[0]!.resume();
    await waitFor('the lost socket back', () => network('two-ws').heads.stats.alive === 2, 40_000);
    expect(network('two-ws').heads.stats.reconnects).toBeGreaterThanOrEqual(1);
    await watcher.stop();
  });

  it('reconnects a dropped upstream socket and heads come again', async () => {
    const watcher = await watch('reconnects');
    await waitFor('the head socket', () => network('reconnects').heads.stats.alive === 1);
    const accepted = relays[2]!.accepted;
    relays[2]!.cut();
    await waitFor(
      'a new socket',
      () => relays[2]!.accepted > accepted && network('reconnects').heads.stats.alive === 1,
    );
    await expectNext(watcher, 3);
    await watcher.stop();
  });

  it('falls back to polling when no upstream socket is alive', async () => {
    await relays[3]!.pause();
    const watcher = await watch('polls');
    await expectNext(watcher, 3);
    expect(network('polls').heads.stats.alive).toBe(0);
    await watcher.stop();
    await relays[3]!.resume();
  });

  it('serves newHeads on a cache-off network, nudged by its upstream socket', async () => {
    const watcher = await watch('uncached-ws');
    await expectNext(watcher, 3);
    expect(network('uncached-ws').cache).toBeUndefined();
    expect(network('uncached-ws').tracker.stats.nudgedPolls).toBeGreaterThanOrEqual(1);
    await watcher.stop();
  });
});

describe('newPendingTransactions', () => {
  /** A raw socket's pending-hash subscription: its id and the hashes it received. */
  async function subscribePending() {
    const ws = await openSocket(`${base}/mempool`);
    const hashes: string[] = [];
    let id: string | undefined;
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.id === 1) id = message.result;
      else if (message.params?.subscription === id) hashes.push(message.params.result);
    });
    ws.send('{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newPendingTransactions"]}');
    await waitFor('the subscription id', () => id !== undefined);
    return { ws, hashes };
  }

  async function send(count: number): Promise<string[]> {
    const [from, to] = (await call(mempool.url, 'eth_accounts')) as string[];
    const sent: string[] = [];
    for (let i = 0; i < count; i++)
      sent.push((await call(mempool.url, 'eth_sendTransaction', [{ from, to, value: '0x1' }])) as string);
    return sent;
  }

  const source = () => network('mempool');

  it('delivers the hashes of sent transactions, each once, also after the source moves upstream', async () => {
    const sub = await subscribePending();
    await waitFor('the upstream subscription', () => relays[4]!.open + relays[5]!.open === 1);
    // anvil sends a hash only once the subscription exists: give the relay a moment to confirm it.
    await sleep(200);
    const first = await send(3);
    await waitFor('three hashes', () => sub.hashes.length >= 3);
    expect(sub.hashes).toEqual(first);
    const [held, other] = relays[4]!.open === 1 ? [relays[4]!, relays[5]!] : [relays[5]!, relays[4]!];
    await held.pause();
    await waitFor('the other upstream', () => other.open === 1, 20_000);
    await sleep(200);
    const second = await send(3);
    await waitFor('three more hashes', () => sub.hashes.length >= 6);
    await sleep(200);
    expect(sub.hashes).toEqual([...first, ...second]);
    const stats = gateway.realtime!.feedOf('mempool')!.stats;
    expect(stats.notificationsByKind.newPendingTransactions).toBeGreaterThanOrEqual(6);
    expect(source().upstreams.length).toBe(2);
    await held.resume();
    sub.ws.close();
    await closed(sub.ws);
    await waitFor(
      'no upstream subscription once nobody listens',
      () => relays[4]!.open + relays[5]!.open === 0,
    );
  });
});
