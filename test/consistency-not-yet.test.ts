/**
 * "Not yet" answers: behind a pool where one upstream is a lagging replica of the other (the same
 * chain, served 3 blocks late), a `null` receipt, block or "header not found" from the replica
 * never reaches the client while the other upstream has the block; with the feature off it does
 * (the control proves the set-up shows the problem). What nobody has passes through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil, stopAllAnvils } from '../src/dev/anvil.js';
import {
  RICH_ACCOUNT,
  runLoad,
  startTestGateway,
  type TestGateway,
  upstreamState,
  waitFor,
} from './failover-support.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { type LaggingReplica, startLaggingReplica } from './support/lagging-replica.js';
import { postJson, rpc } from './support/rpc.js';

const LAG = 3;
let anvil: AnvilNode;
let proxy: FaultProxy;
let replica: LaggingReplica;
let on: TestGateway;
let off: TestGateway;
let txHash: string;
let txBlock: number;

async function direct(method: string, params: unknown[] = []): Promise<unknown> {
  const res = await rpc(anvil.url, method, params);
  return (res.body as { result: unknown }).result;
}

/** The block a transaction was mined in (anvil mines it right away, but answers the send first). */
async function minedIn(hash: string): Promise<number> {
  let receipt: { blockNumber: string } | null = null;
  await waitFor('mined', async () => {
    receipt = (await direct('eth_getTransactionReceipt', [hash])) as { blockNumber: string } | null;
    return receipt !== null;
  });
  return Number.parseInt((receipt as unknown as { blockNumber: string }).blockNumber, 16);
}

function gateway(notYet: boolean): Promise<TestGateway> {
  return startTestGateway(
    [
      { id: 'primary', url: proxy.url },
      { id: 'replica', url: replica.url },
    ],
    {
      cache: { enabled: false },
      health: { probeIntervalMs: 100, maxBlockLag: 10 },
      notYetRetry: { enabled: notYet },
    },
  );
}

beforeAll(async () => {
  anvil = await startAnvil();
  proxy = await startFaultProxy(anvil.url);
  replica = await startLaggingReplica(anvil.url, { lag: LAG });
  await direct('anvil_mine', ['0xa']);
  on = await gateway(true);
  off = await gateway(false);
  txHash = (await direct('eth_sendTransaction', [
    { from: RICH_ACCOUNT, to: `0x${'42'.repeat(20)}`, value: '0x1' },
  ])) as string;
  txBlock = await minedIn(txHash);
  // "When another has it": both gateways know the primary's head reached the transaction's block.
  for (const gw of [on, off]) {
    await waitFor(
      'primary head known',
      async () => (await upstreamState(gw.baseUrl, 'primary')).head >= txBlock,
    );
    await waitFor('replica head known', async () => (await upstreamState(gw.baseUrl, 'replica')).head >= 0);
  }
}, 60_000);

afterAll(async () => {
  await on?.close();
  await off?.close();
  await replica?.close();
  await proxy?.close();
  await stopAllAnvils();
});

const hex = (n: number) => `0x${n.toString(16)}`;

describe('not-yet retries', () => {
  it('the replica really holds the block back (its own answer is null)', async () => {
    expect(await (await rpc(replica.url, 'eth_getTransactionReceipt', [txHash])).body).toMatchObject({
      result: null,
    });
    expect(await direct('eth_getTransactionReceipt', [txHash])).not.toBeNull();
  });

  it('a null receipt, block or "header not found" from the lagging replica never reaches the client', async () => {
    const payloads = [
      (id: number) => ({ jsonrpc: '2.0', id, method: 'eth_getTransactionReceipt', params: [txHash] }),
      (id: number) => ({ jsonrpc: '2.0', id, method: 'eth_getTransactionByHash', params: [txHash] }),
      (id: number) => ({ jsonrpc: '2.0', id, method: 'eth_getBlockByNumber', params: [hex(txBlock), false] }),
      (id: number) => ({
        jsonrpc: '2.0',
        id,
        method: 'eth_getBalance',
        params: [RICH_ACCOUNT, hex(txBlock)],
      }),
    ];
    const heldBefore = replica.stats.heldBack;
    const result = await runLoad({
      url: on.url,
      client: on.client,
      total: 200,
      concurrency: 8,
      payload: (index) => payloads[index % payloads.length]!(index),
    });
    expect(result.errors).toEqual([]);
    const nulls = await countNulls(on, payloads);
    expect(nulls).toBe(0);
    // The replica was asked and said "not yet" (else this test proves nothing), then another answered.
    expect(replica.stats.heldBack).toBeGreaterThan(heldBefore);
    expect(result.byUpstream.get('replica') ?? 0).toBe(0);
  });

  it('with notYetRetry off the same load lets nulls through (the set-up shows the problem)', async () => {
    const nulls = await countNulls(off, [
      (id: number) => ({ jsonrpc: '2.0', id, method: 'eth_getTransactionReceipt', params: [txHash] }),
    ]);
    expect(nulls).toBeGreaterThan(0);
  });

  it('what no upstream has yet passes through as the node said it', async () => {
    const future = await rpc(on.url, 'eth_getBlockByNumber', [hex(txBlock + 1_000), false]);
    expect(future.body).toMatchObject({ result: null });
    const unknown = await rpc(on.url, 'eth_getTransactionReceipt', [`0x${'ab'.repeat(32)}`]);
    expect(unknown.body).toMatchObject({ result: null });
    const state = await rpc(on.url, 'eth_getBalance', [RICH_ACCOUNT, hex(txBlock + 1_000)]);
    expect((state.body as { error?: unknown }).error).toBeDefined();
  });

  it('an empty log range above the replica head is asked again where the head covers it', async () => {
    const emitter = `0x${'e7'.repeat(20)}`;
    await direct('anvil_setCode', [emitter, '0x60203560003560006000a200']);
    const hash = (await direct('eth_sendTransaction', [
      { from: RICH_ACCOUNT, to: emitter, data: `0x${'01'.repeat(32)}${'02'.repeat(32)}`, gas: '0x186a0' },
    ])) as string;
    const block = await minedIn(hash);
    await waitFor(
      'primary head known',
      async () => (await upstreamState(on.baseUrl, 'primary')).head >= block,
    );
    const filter = { address: emitter, fromBlock: hex(block - 5), toBlock: hex(block) };
    const expected = await direct('eth_getLogs', [filter]);
    expect(expected).toHaveLength(1);
    for (let i = 0; i < 20; i++) {
      const res = await rpc(on.url, 'eth_getLogs', [filter], { id: i });
      expect((res.body as { result: unknown }).result).toEqual(expected);
    }
  });
});

/** Sends each payload 40 times (4 at a time) and counts answers whose `result` is `null`. */
async function countNulls(gw: TestGateway, payloads: ((id: number) => unknown)[]): Promise<number> {
  let nulls = 0;
  let next = 0;
  const total = 40 * payloads.length;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const res = await postJson(gw.url, payloads[index % payloads.length]!(index), {
        dispatcher: gw.client,
      });
      const body = res.body as { result?: unknown };
      if (res.status !== 200 || !('result' in body)) throw new Error(`unexpected answer ${res.text}`);
      if (body.result === null) nulls++;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return nulls;
}
