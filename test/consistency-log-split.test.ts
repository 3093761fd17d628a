/**
 * `eth_getLogs` range splitting against a real anvil whose head is block 50,000: through an
 * upstream that refuses ranges over 2,000 blocks the gateway's answer equals anvil's own; through
 * one that refuses answers over N logs ("query returned more than N results") halving gets the
 * same answer; parts are cached one by one; a range needing too many parts is refused with its
 * documented error.
 *
 * anvil_mine slows down with every block mined (measured: the 1st thousand ≈ 1 s, the 2nd ≈ 6 s),
 * so 50,000 mined blocks would take hours: anvil starts at genesis number 48,000 (`--number`) and
 * the test mines the last 2,000 blocks with logs in them. The 50,000-block range is asked as a
 * whole (26 parts of 2,000); a 100-block limit splits the mined blocks into 21 parts as well.
 */

import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TurnpikeConfigInput } from '../src/config/schema.js';
import { type AnvilNode, startAnvil, stopAllAnvils } from '../src/dev/anvil.js';
import { createGateway } from '../src/gateway.js';
import { NETWORK, RICH_ACCOUNT, type TestGateway } from './failover-support.js';
import { type LogsLimitedNode, startLogsLimitedNode } from './support/logs-limited-node.js';
import { rpc } from './support/rpc.js';

const BLOCKS = 50_000;
const GENESIS = 48_000;
/** Runtime code: LOG2 with topic0 = calldata[0..32], topic1 = calldata[32..64], no data. */
const EMITTER_CODE = '0x60203560003560006000a200';
const EMITTER = `0x${'e1'.repeat(20)}`;
const OTHER = `0x${'e2'.repeat(20)}`;
const TOPIC = `0x${'77'.repeat(32)}`;
const hex = (n: number) => `0x${n.toString(16)}`;

let anvil: AnvilNode;
let gw: TestGateway | undefined;
let node: LogsLimitedNode | undefined;

async function direct(method: string, params: unknown[] = []): Promise<unknown> {
  const body = (await rpc(anvil.url, method, params, { timeoutMs: 60_000 })).body as {
    result?: unknown;
    error?: { message: string };
  };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

beforeAll(async () => {
  anvil = await startAnvil({ extraArgs: ['--number', String(GENESIS)] });
  await direct('anvil_setCode', [EMITTER, EMITTER_CODE]);
  await direct('anvil_setCode', [OTHER, EMITTER_CODE]);
  // Logs spread over the whole range, some at part edges (1999/2000), a few blocks with several.
  const heights = [48_003, 48_099, 48_100, 48_101, 48_777, 49_234, 49_899, 49_999, 50_000];
  let index = 0;
  for (const height of heights) {
    const head = Number.parseInt((await direct('eth_blockNumber')) as string, 16);
    // In steps: one long anvil_mine call outlasts the RPC timeout on a loaded machine.
    for (let at = head; at < height - 1; at += 250)
      await direct('anvil_mine', [hex(Math.min(250, height - 1 - at))]);
    await direct('evm_setAutomine', [false]);
    for (let i = 0; i < (height % 2 === 0 ? 3 : 1); i++) {
      await direct('eth_sendTransaction', [
        {
          from: RICH_ACCOUNT,
          to: i === 1 ? OTHER : EMITTER,
          data: `${TOPIC}${(index++).toString(16).padStart(64, '0')}`,
          gas: '0x186a0',
        },
      ]);
    }
    await direct('evm_mine');
    await direct('evm_setAutomine', [true]);
  }
  const head = Number.parseInt((await direct('eth_blockNumber')) as string, 16);
  if (head < BLOCKS) await direct('anvil_mine', [hex(BLOCKS - head)]);
}, 120_000);

afterEach(async () => {
  await gw?.close();
  await node?.close();
  gw = undefined;
  node = undefined;
});

afterAll(async () => {
  await stopAllAnvils();
});

type NetworkInput = TurnpikeConfigInput['networks'][string];

/** A gateway with one upstream and its `logs` limits (startTestGateway sets no upstream options). */
async function gateway(
  url: string,
  logs: { maxBlockRange?: number; maxResults?: number },
  network: Omit<NetworkInput, 'upstreams'> = { cache: { enabled: false } },
): Promise<TestGateway> {
  const created = createGateway({
    logging: { level: 'silent' },
    networks: { [NETWORK]: { chainId: 31337, ...network, upstreams: [{ id: 'limited', url, logs }] } },
  });
  const { url: baseUrl } = await created.listen(0, '127.0.0.1');
  const client = new Agent({ connections: 8 });
  return {
    gateway: created,
    baseUrl,
    url: `${baseUrl}/${NETWORK}`,
    client,
    async close() {
      await client.destroy();
      await created.close(1_000);
    },
  };
}

async function logsVia(url: string, filter: object, id = 1) {
  return (await rpc(url, 'eth_getLogs', [filter], { id, timeoutMs: 60_000 })).body as {
    result?: unknown[];
    error?: { code: number; message: string; data?: { code?: string } };
  };
}

describe('eth_getLogs range splitting', () => {
  it('a 50,000-block range through an upstream limited to 2,000 equals anvil’s direct answer', async () => {
    node = await startLogsLimitedNode(anvil.url, { maxBlockRange: 2_000 });
    gw = await gateway(node.url, { maxBlockRange: 2_000 });
    const filters = [
      { fromBlock: '0x0', toBlock: hex(BLOCKS) },
      { fromBlock: '0x1', toBlock: 'latest', address: EMITTER },
      { fromBlock: hex(48_050), toBlock: hex(49_999), topics: [TOPIC] },
    ];
    for (const filter of filters) {
      const expected = await direct('eth_getLogs', [filter]);
      expect((expected as unknown[]).length).toBeGreaterThan(5);
      const answer = await logsVia(gw.url, filter);
      expect(answer.error).toBeUndefined();
      expect(answer.result).toEqual(expected);
    }
    expect(node.stats.refusedRange).toBe(0);
    expect(node.stats.widest).toBeLessThanOrEqual(2_000);
    expect(node.stats.getLogs).toBeGreaterThanOrEqual(25);
  });

  it('parts of a 100-block limit over the mined blocks, fetched in parallel, join in block and log order', async () => {
    node = await startLogsLimitedNode(anvil.url, { maxBlockRange: 100 });
    gw = await gateway(node.url, { maxBlockRange: 100 });
    const filter = { fromBlock: hex(GENESIS), toBlock: 'latest' };
    const expected = (await direct('eth_getLogs', [filter])) as { blockNumber: string; logIndex: string }[];
    const answer = await logsVia(gw.url, filter);
    expect(answer.result).toEqual(expected);
    expect(node.stats.refusedRange).toBe(0);
    expect(node.stats.getLogs).toBe(21);
    // In parallel, within logSplit.concurrency (4).
    expect(node.stats.maxInFlight).toBeGreaterThan(1);
    expect(node.stats.maxInFlight).toBeLessThanOrEqual(4);
  });

  it('"query returned more than N results" refusals are halved until they fit', async () => {
    node = await startLogsLimitedNode(anvil.url, { maxResults: 3 });
    gw = await gateway(node.url, {});
    const filter = { fromBlock: '0x0', toBlock: hex(BLOCKS) };
    const expected = (await direct('eth_getLogs', [filter])) as unknown[];
    expect(expected.length).toBeGreaterThan(3);
    const answer = await logsVia(gw.url, filter);
    expect(answer.result).toEqual(expected);
    expect(node.stats.refusedResults).toBeGreaterThan(0);
  });

  it('a one-block part still refused reaches the client as the provider said it, under the client id', async () => {
    node = await startLogsLimitedNode(anvil.url, { maxResults: 2 });
    gw = await gateway(node.url, {});
    // Block 48,100 holds three logs: halving ends there, and the refusal is final.
    const res = await rpc(gw.url, 'eth_getLogs', [{ fromBlock: hex(48_000), toBlock: hex(48_199) }], {
      id: 9,
    });
    const body = res.body as { id: number; result?: unknown; error?: { message: string } };
    expect(body.id).toBe(9);
    expect(body.result).toBeUndefined();
    expect(body.error?.message).toBe('query returned more than 2 results');
  });

  it('with logSplit off the upstream refusal reaches the client (the limit is real)', async () => {
    node = await startLogsLimitedNode(anvil.url, { maxBlockRange: 2_000 });
    gw = await gateway(
      node.url,
      { maxBlockRange: 2_000 },
      { cache: { enabled: false }, logSplit: { enabled: false } },
    );
    const answer = await logsVia(gw.url, { fromBlock: '0x0', toBlock: hex(BLOCKS) });
    expect(answer.error?.message).toMatch(/exceed maximum block range/);
  });

  it('each part is cached on its own: a repeat and an overlapping range ask the upstream only for new parts', async () => {
    node = await startLogsLimitedNode(anvil.url, { maxBlockRange: 100 });
    gw = await gateway(
      node.url,
      { maxBlockRange: 100 },
      // Most parts are empty: cached only with cacheEmpty (docs/consistency.md#log-range-splitting).
      {
        cache: { finality: 'depth', depth: 2, headPollMs: 100, cacheEmpty: true },
        health: { maxBlockLag: 0 },
      },
    );
    const filter = { fromBlock: hex(GENESIS), toBlock: hex(49_000) };
    const expected = await direct('eth_getLogs', [filter]);
    expect((await logsVia(gw.url, filter)).result).toEqual(expected);
    const first = node.stats.getLogs;
    expect(first).toBe(11);
    expect((await logsVia(gw.url, filter, 2)).result).toEqual(expected);
    expect(node.stats.getLogs).toBe(first);
    // 48,500..49,499: parts 48,500–48,599 … 48,900–48,999 are cached, 49,000–49,099 was cached as 49,000–49,000 only.
    const overlap = { fromBlock: hex(48_500), toBlock: hex(49_499) };
    expect((await logsVia(gw.url, overlap, 3)).result).toEqual(await direct('eth_getLogs', [overlap]));
    expect(node.stats.getLogs - first).toBe(5);
  });

  it('a range that needs more than logSplit.maxParts parts is refused with ERR_LOGS_RANGE_TOO_LARGE', async () => {
    node = await startLogsLimitedNode(anvil.url, { maxBlockRange: 2_000 });
    gw = await gateway(
      node.url,
      { maxBlockRange: 2_000 },
      { cache: { enabled: false }, logSplit: { maxParts: 10 } },
    );
    const res = await rpc(gw.url, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: hex(BLOCKS) }], { id: 7 });
    const body = res.body as {
      id: number;
      error: { code: number; data: { code: string; parts: number; maxParts: number } };
    };
    expect(body.id).toBe(7);
    expect(body.error.code).toBe(-32005);
    expect(body.error.data).toMatchObject({ code: 'ERR_LOGS_RANGE_TOO_LARGE', parts: 26, maxParts: 10 });
    expect(node.stats.getLogs).toBe(0);
  });
});
