/**
 * The bounds of the subscription path through real sockets on a real anvil: a subscriber that
 * stops reading while blocks with many logs are mined is closed with 4008 at
 * `realtime.maxSendBufferBytes` (the unsent bytes held for it never pass the bound, and nothing
 * more is kept for it however many blocks follow) while a reading subscriber gets everything;
 * and `gateway.close()` with live subscriptions closes every socket with 1001.
 */
import { describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import {
  A,
  blockAt,
  call,
  emit,
  expectCanonicalHeads,
  headNumber,
  type Log,
  logKey,
  nodeLogs,
  type RawBlock,
  sleep,
  T1,
  waitFor,
} from './support/realtime-feed-harness.js';
import { closed, openSocket } from './support/ws-client.js';
import { cleanupsAfterEach, startEmitterNode, startWsGateway } from './support/ws-e2e-fixture.js';
import { Recorder } from './support/ws-recorder.js';

/**
 * Runtime code: 100 × LOG1(memory[0..1024], topic0 = i) for i = 100 … 1 — a block with 100 logs
 * of 1 KiB data each (≈ 230 KB of notifications).
 */
const MANY_LOGS_CODE = '0x60645b806104006000a16001900380600257' + '00';
const MANY = `0x${'c3'.repeat(20)}`;
const ACCOUNT_0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const SEND_BUFFER = 256 * 1024;

const onCleanup = cleanupsAfterEach();

async function start(realtime: Record<string, unknown> = {}) {
  const anvil = await startEmitterNode([A], { [MANY]: MANY_LOGS_CODE });
  onCleanup(() => anvil.stop());
  const { gateway, wsUrl } = await startWsGateway({ upstreams: [{ url: anvil.url }], realtime });
  onCleanup(() => gateway.close(1_000));
  return { anvil, gateway, wsUrl };
}

/** One block whose single transaction emits 100 logs of 1 KiB. */
async function mineManyLogs(url: string): Promise<void> {
  const hash = await call(url, 'eth_sendTransaction', [{ from: ACCOUNT_0, to: MANY, gas: '0x1e8480' }]);
  type Receipt = { status: string; logs: unknown[] } | null;
  let receipt = null as Receipt;
  while (receipt === null) {
    receipt = (await call(url, 'eth_getTransactionReceipt', [hash])) as Receipt;
    if (receipt === null) await sleep(5);
  }
  if (receipt.status !== '0x1' || receipt.logs.length !== 100)
    throw new Error('the emitter did not emit 100 logs');
}

describe('a subscriber that stops reading', () => {
  it('is closed with 4008 at the bound; the bytes held for it never pass it; a reading subscriber gets everything', async () => {
    const { anvil, gateway, wsUrl } = await start({ maxSendBufferBytes: SEND_BUFFER });
    const stats = gateway.realtime!.stats;
    const feed = () => gateway.realtime!.feedOf('anvil')!;
    const reader = await Recorder.open(wsUrl);
    onCleanup(() => reader.close());
    // The feed runs and is at the head: the reader gets exactly the blocks after it.
    const warmup = await reader.subscribe('newHeads');
    const startBlock = await headNumber(anvil.url);
    await waitFor('the feed at the head', () => feed().tip?.number === startBlock);
    const readerLogs = await reader.subscribe('logs', {});
    const readerHeads = await reader.subscribe('newHeads');
    await reader.send('eth_unsubscribe', [warmup]);

    const stalled = await openSocket(wsUrl);
    onCleanup(async () => stalled.terminate());
    const stalledClose = closed(stalled);
    const answers: string[] = [];
    stalled.on('message', (data: WebSocket.RawData) => answers.push(data.toString()));
    stalled.send('{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["logs",{}]}');
    stalled.send('{"jsonrpc":"2.0","id":2,"method":"eth_subscribe","params":["newHeads"]}');
    await waitFor('both subscriptions', () => answers.length === 2);
    stalled.pause(); // reads nothing more: the kernel buffers fill, then the gateway's

    let blocks = 0;
    while (stats.slowConsumersClosed === 0) {
      if (blocks === 150) throw new Error('150 blocks of 100 logs and the stalled socket is still open');
      await mineManyLogs(anvil.url);
      blocks++;
    }
    // The close frame is read once it reads again (the gateway cuts it 2 s after the close).
    stalled.resume();
    expect((await stalledClose).code).toBe(4008);
    expect(stats.slowConsumersClosed).toBe(1);
    const largest = 4 * 1024; // a 1 KiB-data log notification is ≈ 2.4 KB; a head ≈ 1.5 KB
    expect(stats.peakSendBufferBytes).toBeGreaterThan(0);
    expect(stats.peakSendBufferBytes).toBeLessThanOrEqual(SEND_BUFFER + largest);
    await waitFor('its subscriptions dropped', () => feed().stats.subscriptions.logs === 1);
    expect(feed().stats.subscriptions.newHeads).toBe(1);
    await waitFor('the socket gone', () => gateway.realtime!.connections === 1);

    // Nothing is held for it any more, however many blocks follow: the peak stays where it was.
    const peak = stats.peakSendBufferBytes;
    for (let i = 0; i < 10; i++) await mineManyLogs(anvil.url);
    await emit(anvil.url, A, T1, T1);
    const head = await blockAt(anvil.url, 'latest');
    await waitFor('the reader at the head', () =>
      reader.results(readerHeads).some((h: RawBlock) => h.hash === head.hash),
    );
    expect(stats.peakSendBufferBytes).toBe(peak);

    // The reading subscriber was not held up and lost nothing.
    const end = Number.parseInt(head.number, 16);
    await expectCanonicalHeads(anvil.url, reader.results(readerHeads), startBlock + 1, end);
    const expected = await nodeLogs(anvil.url, {}, startBlock + 1, end);
    expect(expected).toHaveLength((blocks + 10) * 100 + 1);
    await waitFor('every log on the reader', () => reader.results(readerLogs).length >= expected.length);
    expect((reader.results(readerLogs) as Log[]).map(logKey)).toEqual(expected.map(logKey));
    expect(reader.closedWith).toBeUndefined();
  }, 120_000);
});

describe('gateway.close() with live subscriptions', () => {
  it('closes every subscribed socket with 1001, after a gap-free run of notifications', async () => {
    const { anvil, gateway, wsUrl } = await start();
    const sockets = await Promise.all([1, 2, 3].map(() => Recorder.open(wsUrl)));
    const ids = [
      await sockets[0]!.subscribe('newHeads'),
      await sockets[1]!.subscribe('logs', { address: A }),
      await sockets[2]!.subscribe('newHeads'),
    ];
    await sockets[2]!.subscribe('logs', {});
    const closes = sockets.map((socket) => closed(socket.ws));
    const first = await headNumber(anvil.url);
    // Blocks keep coming while the gateway shuts down.
    let mining = true;
    const miner = (async () => {
      for (let i = 0; mining && i < 200; i++) {
        await emit(anvil.url, A, T1, `0x${i.toString(16).padStart(64, '0')}`).catch(() => undefined);
        await sleep(20);
      }
    })();
    await waitFor('a few blocks on every socket', () =>
      sockets.every((socket, i) => socket.results(ids[i]!).length >= 5),
    );
    await gateway.close(2_000);
    mining = false;
    await miner;
    for (const close of closes) expect(await close).toEqual({ code: 1001, reason: 'server shutting down' });
    // The close is the one signal: the drain ends subscriptions quietly, no error notification first.
    for (const socket of sockets) expect(socket.errors).toEqual([]);
    expect(gateway.realtime!.connections).toBe(0);
    // What each got is an unbroken run of the chain from its start: nothing skipped before the close.
    const heads = sockets[0]!.results(ids[0]!) as RawBlock[];
    const from = Number.parseInt(heads[0]!.number, 16);
    expect(from).toBeGreaterThan(first - 1);
    await expectCanonicalHeads(anvil.url, heads, from, from + heads.length - 1);
    const logs = sockets[1]!.results(ids[1]!) as Log[];
    const last = Number.parseInt(logs.at(-1)!.blockNumber, 16);
    expect(logs.map(logKey)).toEqual(
      (await nodeLogs(anvil.url, { address: A }, Number.parseInt(logs[0]!.blockNumber, 16), last)).map(
        logKey,
      ),
    );
  });
});
