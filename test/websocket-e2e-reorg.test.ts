/**
 * Reorgs through the gateway's sockets, on a real anvil (`anvil_reorg`): a live `logs`
 * subscriber gets the orphaned logs once with `removed: true` before the new branch's, a
 * `newHeads` subscriber gets the new branch's heads; and a client that was away while 20 blocks
 * came and a reorg orphaned the last block it had resumes with `resumeFrom` and gets exactly
 * what it missed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnvilNode } from '../src/dev/anvil.js';
import type { Gateway } from '../src/gateway.js';
import {
  A,
  B,
  blockAt,
  call,
  emit,
  emitTx,
  expectCanonicalHeads,
  headNumber,
  type Log,
  logKey,
  nodeLogs,
  type RawBlock,
  T1,
  T2,
  T3,
  waitFor,
} from './support/realtime-feed-harness.js';
import { feedAtHead, startEmitterNode, startFeed, startWsGateway } from './support/ws-e2e-fixture.js';
import { Recorder } from './support/ws-recorder.js';

let anvil: AnvilNode;
let gateway: Gateway;
let wsUrl: string;

beforeAll(async () => {
  anvil = await startEmitterNode([A, B]);
  ({ gateway, wsUrl } = await startWsGateway({ upstreams: [{ url: anvil.url }] }));
  // Start the feed, so every later subscriber gets the blocks after its subscription.
  await (await startFeed(gateway, wsUrl, anvil.url)).warmup.close();
});

afterAll(async () => {
  await gateway?.close(1_000);
  await anvil?.stop();
});

/** The feed has delivered the node's current head. */
const caughtUp = (): Promise<RawBlock> => feedAtHead(gateway, anvil.url);

/**
 * The socket got the node's head: its notifications can trail the feed's tip (they are written
 * after it moves, and read by the client later).
 */
async function socketAt(socket: Recorder, heads: string, head: RawBlock): Promise<void> {
  await waitFor('the socket at the head', () =>
    (socket.results(heads) as RawBlock[]).some((block) => block.hash === head.hash),
  );
}

const numberOf = (value: { number?: string; blockNumber?: string }) =>
  Number.parseInt(value.number ?? value.blockNumber ?? '', 16);
const removed = (log: Log): Log => ({ ...log, removed: true });

describe('a reorg seen through a socket', () => {
  it('sends the orphaned logs once with removed: true, then the new branch; newHeads gets the new heads', async () => {
    const socket = await Recorder.open(wsUrl);
    const logs = await socket.subscribe('logs', { address: A });
    const heads = await socket.subscribe('newHeads');
    const start = await headNumber(anvil.url);
    await emit(anvil.url, A, T1, T1); // start + 1
    await emit(anvil.url, A, T1, T2); // start + 2: orphaned below
    await emit(anvil.url, B, T1, T2); // start + 3: orphaned, but not A's
    await emit(anvil.url, A, T2, T2); // start + 4: orphaned
    await socketAt(socket, heads, await caughtUp());
    await waitFor('the logs', () => socket.results(logs).length >= 3);
    const before = socket.results(logs) as Log[];
    expect(before.map(numberOf)).toEqual([start + 1, start + 2, start + 4]);
    const orphanedHeads = socket.results(heads) as RawBlock[];

    // Three blocks replaced by four: the fork is start + 1.
    await call(anvil.url, 'anvil_reorg', [
      3,
      [
        [emitTx(A, T3, T1), 0],
        [emitTx(A, T3, T2), 2],
      ],
    ]);
    await call(anvil.url, 'evm_mine');
    const head = await caughtUp();
    expect(numberOf(head)).toBe(start + 5);
    const fresh = await nodeLogs(anvil.url, { address: A }, start + 2, start + 5);
    expect(fresh).toHaveLength(2);
    await waitFor('the new branch’s logs', () => socket.results(logs).length >= before.length + 2 + 2);
    await waitFor('the new head', () => socket.results(heads).some((h: RawBlock) => h.hash === head.hash));
    expect((socket.results(logs) as Log[]).map(logKey)).toEqual([
      ...before.map(logKey),
      ...before.slice(1).map(removed).map(logKey),
      ...fresh.map(logKey),
    ]);
    // newHeads: the old branch as it was, then the new branch from the fork up (no removal notice).
    const after = (socket.results(heads) as RawBlock[]).slice(orphanedHeads.length);
    expect(orphanedHeads.map(numberOf)).toEqual([start + 1, start + 2, start + 3, start + 4]);
    await expectCanonicalHeads(anvil.url, after, start + 2, start + 5);
    expect(after[0]!.parentHash).toBe(orphanedHeads[0]!.hash);
    expect(socket.closedWith).toBeUndefined();
    await socket.close();
  });

  it('resumes after 20 blocks and a reorg that orphaned the last block received: exactly what was missed', async () => {
    const first = await Recorder.open(wsUrl);
    const logs = await first.subscribe('logs', { address: A });
    const heads = await first.subscribe('newHeads');
    const start = await headNumber(anvil.url);
    await emit(anvil.url, A, T1, T1); // start + 1: stays
    await emit(anvil.url, A, T1, T2); // start + 2: orphaned
    await emit(anvil.url, A, T2, T1); // start + 3 = the last block received: orphaned
    await socketAt(first, heads, await caughtUp());
    await waitFor('the logs', () => first.results(logs).length >= 3);
    const received = first.results(logs) as Log[];
    expect(received.map(numberOf)).toEqual([start + 1, start + 2, start + 3]);
    const last = (first.results(heads) as RawBlock[]).at(-1)!;
    expect(numberOf(last)).toBe(start + 3);
    await first.close();

    // While it is away: 10 blocks, a reorg from start + 1 (orphaning its last two and those 10),
    // then 10 more — 22 blocks above the fork on the new chain.
    for (let i = 0; i < 10; i++) await emit(anvil.url, A, T3, `0x${(i + 1).toString(16).padStart(64, '0')}`);
    await caughtUp();
    await call(anvil.url, 'anvil_reorg', [
      12,
      [
        [emitTx(A, T2, T2), 0],
        [emitTx(A, T2, T3), 6],
      ],
    ]);
    for (let i = 0; i < 10; i++) {
      if (i % 2 === 0) await emit(anvil.url, A, T1, `0x${(i + 32).toString(16).padStart(64, '0')}`);
      else await call(anvil.url, 'evm_mine');
    }
    const head = await caughtUp();
    expect(numberOf(head)).toBe(start + 23);
    expect((await blockAt(anvil.url, start + 3)).hash).not.toBe(last.hash);

    const again = await Recorder.open(wsUrl);
    const point = { number: last.number, hash: last.hash };
    const resumedLogs = await again.subscribe('logs', { address: A }, point);
    const resumedHeads = await again.subscribe('newHeads', null, point);
    const fresh = await nodeLogs(anvil.url, { address: A }, start + 2, start + 23);
    expect(fresh).toHaveLength(7);
    await waitFor('the missed logs', () => again.results(resumedLogs).length >= 2 + fresh.length);
    await waitFor('the missed heads', () =>
      again.results(resumedHeads).some((h: RawBlock) => h.hash === head.hash),
    );
    await new Promise((resolve) => setTimeout(resolve, 200)); // nothing more should come
    // Its own orphaned logs (not those of the blocks it never saw), lowest first, then the new chain.
    expect((again.results(resumedLogs) as Log[]).map(logKey)).toEqual([
      ...received.slice(1).map(removed).map(logKey),
      ...fresh.map(logKey),
    ]);
    await expectCanonicalHeads(anvil.url, again.results(resumedHeads), start + 2, start + 23);
    expect(again.errors).toEqual([]);
    await again.close();
  });
});
