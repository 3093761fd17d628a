/**
 * The first subscription of a network starts its feed: the blocks mined right after its answer
 * must reach it even when the chain tracker's next poll sees several of them at once (the feed
 * once started at that later head and lost the blocks in between — a client that subscribed,
 * sent a transaction and waited for its log never got it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnvilNode } from '../src/dev/anvil.js';
import type { Gateway } from '../src/gateway.js';
import {
  A,
  blockAt,
  call,
  emitTx,
  expectCanonicalHeads,
  headNumber,
  logKey,
  nodeLogs,
  T1,
  T2,
  waitFor,
} from './support/realtime-feed-harness.js';
import { rpc } from './support/rpc.js';
import { startEmitterNode, startWsGateway } from './support/ws-e2e-fixture.js';
import { Recorder } from './support/ws-recorder.js';

let anvil: AnvilNode;
let gateway: Gateway;
let baseUrl: string;

beforeAll(async () => {
  anvil = await startEmitterNode();
  // A slow poll: the blocks mined below land in one step of the tracker.
  ({ gateway, baseUrl } = await startWsGateway({
    upstreams: [{ url: anvil.url }],
    cache: { headPollMs: 400 },
  }));
});

afterAll(async () => {
  await gateway?.close(1_000);
  await anvil?.stop();
});

describe('the first subscription of a network', () => {
  it('gets the blocks and logs mined right after its answer, though the tracker sees them in one step', async () => {
    // A request that depends on the chain starts the tracker (as a client's receipt lookup does).
    await call(anvil.url, 'evm_mine');
    const start = await headNumber(anvil.url);
    await rpc(`${baseUrl}/anvil`, 'eth_getBlockByNumber', [`0x${start.toString(16)}`, false]);
    await waitFor('the tracker at the head', () => gateway.networks.get('anvil')!.tracker!.head === start);

    const socket = await Recorder.open(`${baseUrl.replace('http', 'ws')}/anvil`);
    const heads = await socket.subscribe('newHeads');
    const logs = await socket.subscribe('logs', { address: A });
    // Right after the answers, before the tracker polls again: a log, then two more blocks.
    await call(anvil.url, 'eth_sendTransaction', [emitTx(A, T1, T2)]);
    await call(anvil.url, 'anvil_mine', ['0x2']);
    const head = await blockAt(anvil.url, 'latest');
    expect(Number.parseInt(head.number, 16)).toBe(start + 3);
    await waitFor('the head', () =>
      socket.results(heads).some((h: { hash: string }) => h.hash === head.hash),
    );
    // The head at subscription time is the feed's first block; nothing after it is missing.
    await expectCanonicalHeads(anvil.url, socket.results(heads), start, start + 3);
    const expected = await nodeLogs(anvil.url, { address: A }, start + 1, start + 3);
    expect(expected).toHaveLength(1);
    await waitFor('the log', () => socket.results(logs).length >= 1);
    expect(socket.results(logs).map(logKey)).toEqual(expected.map(logKey));
    await socket.close();
  });
});
