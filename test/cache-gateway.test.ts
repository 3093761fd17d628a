/**
 * The cache in front of a real anvil: hits and misses with X-Cache, one upstream call for a
 * burst of identical requests, eth_blockNumber from the chain tracker, and the reorg test —
 * after anvil replaces blocks, no answer from the orphaned branch is served, for blocks,
 * receipts, logs, balances and eth_call.
 */
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { rpc } from './support/rpc.js';

const ALICE = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const BOB = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const CAROL = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';

let anvil: AnvilNode;
let proxy: FaultProxy;
let gateway: Gateway;
let url: string;

async function direct(method: string, params: unknown[] = []): Promise<unknown> {
  return ((await rpc(anvil.url, method, params)).body as { result: unknown }).result;
}

async function via(method: string, params: unknown[] = []) {
  const res = await rpc(url, method, params);
  return { result: (res.body as { result: unknown }).result, cache: res.headers['x-cache'], res };
}

async function send(from: string, to: string, value: string): Promise<string> {
  const hash = (await direct('eth_sendTransaction', [{ from, to, value }])) as string;
  return hash;
}

function cachingGateway(): Gateway {
  return createGateway({
    logging: { level: 'silent' },
    networks: {
      anvil: {
        upstreams: [{ url: proxy.url }],
        // anvil's `finalized` tag is the genesis block: judge finality by depth instead.
        cache: {
          finality: 'depth',
          depth: 5,
          headPollMs: 50,
          unfinalizedTtlMs: 60_000,
          blockNumberMaxAgeMs: 1_000,
        },
      },
    },
  });
}

/** Another gateway like the shared one, whose tracker has not started. */
async function freshGateway(): Promise<{ gateway: Gateway; url: string }> {
  const fresh = cachingGateway();
  return { gateway: fresh, url: `${(await fresh.listen(0, '127.0.0.1')).url}/anvil` };
}

beforeAll(async () => {
  anvil = await startAnvil();
  proxy = await startFaultProxy(anvil.url);
  gateway = cachingGateway();
  url = `${(await gateway.listen(0, '127.0.0.1')).url}/anvil`;
  await direct('anvil_mine', ['0x14']);
});

afterAll(async () => {
  await gateway?.close(1_000);
  await proxy?.close();
  await anvil?.stop();
});

/** Waits until the gateway's tracker has seen the node's current head. */
async function trackerCaughtUp(): Promise<void> {
  const head = Number.parseInt((await direct('eth_blockNumber')) as string, 16);
  await expect.poll(() => gateway.networks.get('anvil')!.tracker!.head, { timeout: 5_000 }).toBe(head);
}

describe('cache', () => {
  it('answers a final block from the cache after one upstream call', async () => {
    await via('eth_getBlockByNumber', ['0x2', false]); // starts the tracker
    await trackerCaughtUp();
    const stats = gateway.networks.get('anvil')!.cache!.stats;
    const missesBefore = stats.misses;
    const first = await via('eth_getBlockByNumber', ['0x3', false]);
    const second = await via('eth_getBlockByNumber', ['0x03', false]);
    expect(first.cache).toBe('MISS');
    expect(second.cache).toBe('HIT');
    expect(second.result).toEqual(await direct('eth_getBlockByNumber', ['0x3', false]));
    // The request's own id comes back, not the one that filled the cache.
    const third = await rpc(url, 'eth_getBlockByNumber', ['0x3', false], { id: 'mine' });
    expect((third.body as { id: string }).id).toBe('mine');
    expect(third.headers['server-timing']).toMatch(/cache;dur=/);
    expect(third.headers['x-cache']).toBe('HIT');
    expect(stats.misses - missesBefore).toBe(1);
  });

  it('the first read of a worker waits for the tracker, so it is cached already', async () => {
    const { gateway: fresh, url: freshUrl } = await freshGateway();
    try {
      const first = await rpc(freshUrl, 'eth_getBlockByNumber', ['0x1', false]);
      const second = await rpc(freshUrl, 'eth_getBlockByNumber', ['0x1', false]);
      expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['MISS', 'HIT']);
    } finally {
      await fresh.close(1_000);
    }
  });

  it('does not cache latest, and serves eth_blockNumber from the tracker', async () => {
    const latest = await via('eth_getBlockByNumber', ['latest', false]);
    expect(latest.cache).toBeUndefined();
    await trackerCaughtUp();
    const blockNumber = await via('eth_blockNumber');
    expect(blockNumber.result).toBe(await direct('eth_blockNumber'));
  });

  it('sends one upstream call for a burst of 1,000 identical requests', async () => {
    await trackerCaughtUp();
    const params = ['0x2', true];
    const stats = gateway.networks.get('anvil')!.cache!.stats;
    const missesBefore = stats.misses;
    const pool = new Pool(new URL(url).origin, { connections: 100 });
    const path = new URL(url).pathname;
    const statuses = await Promise.all(
      Array.from({ length: 1_000 }, async (_, id) => {
        const res = await pool.request({
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id, method: 'eth_getBlockByNumber', params }),
        });
        const body = (await res.body.json()) as { id: number; result: { number: string } };
        expect(body.id).toBe(id);
        expect(body.result.number).toBe('0x2');
        return res.headers['x-cache'];
      }),
    );
    await pool.close();
    const misses = statuses.filter((status) => status === 'MISS').length;
    expect(misses).toBe(1);
    expect(statuses.filter((status) => status === 'HIT' || status === 'COALESCED')).toHaveLength(999);
    expect(stats.coalesced).toBeGreaterThan(0);
    // Every upstream call for a cacheable request is a miss: exactly one went upstream.
    expect(stats.misses - missesBefore).toBe(1);
  });

  it('never serves an answer from an orphaned branch after a reorg', async () => {
    // A transfer in a block that is not final yet, then enough blocks to keep it unfinal.
    const tx = await send(ALICE, BOB, '0x1000');
    await direct('anvil_mine', ['0x2']);
    const receipt = (await direct('eth_getTransactionReceipt', [tx])) as {
      blockNumber: string;
      blockHash: string;
    };
    const height = receipt.blockNumber;
    await trackerCaughtUp();

    const queries: [string, unknown[]][] = [
      ['eth_getBlockByNumber', [height, true]],
      ['eth_getBlockByHash', [receipt.blockHash, false]],
      ['eth_getTransactionReceipt', [tx]],
      ['eth_getTransactionByHash', [tx]],
      ['eth_getLogs', [{ fromBlock: height, toBlock: height }]],
      ['eth_getBalance', [BOB, height]],
      ['eth_getTransactionCount', [ALICE, height]],
      ['eth_call', [{ to: BOB, data: '0x' }, height]],
      ['eth_getBlockTransactionCountByNumber', [height]],
    ];
    // Fill the cache with the current branch, and check it is really cached.
    for (const [method, params] of queries) await via(method, params);
    const cachedNow = await via('eth_getBlockByNumber', [height, true]);
    expect(cachedNow.cache).toBe('HIT');

    // Replace the last 3 blocks (the transfer's included) with a branch holding another transfer.
    const nonce = (await direct('eth_getTransactionCount', [ALICE, 'latest'])) as string;
    await direct('anvil_reorg', [3, [[{ from: ALICE, to: CAROL, value: '0x2000', nonce }, 0]]]);
    await trackerCaughtUp();
    await expect.poll(() => gateway.networks.get('anvil')!.tracker!.stats.reorgs).toBeGreaterThan(0);

    for (const [method, params] of queries) {
      const answer = await via(method, params);
      expect(answer.result, `${method} after the reorg`).toEqual(await direct(method, params));
    }
    const metrics = await (await fetch(`${new URL(url).origin}/metrics`)).text();
    expect(metrics).toMatch(/turnpike_reorgs_total\{network="anvil"\} [1-9]/);
    expect(metrics).toMatch(/turnpike_reorg_invalidated_entries_total\{network="anvil"\} [1-9]/);
  });
});
