/**
 * The chain tracker against a real anvil node: reorgs made with `anvil_reorg` and with
 * `evm_snapshot`/`evm_revert` are reported once, with the orphaned hashes the node used to
 * serve, and the tracker then answers with the node's new canonical hashes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type BlockRef, ChainTracker } from '../src/cache/chain-tracker.js';
import type { ChainTrackerError } from '../src/cache/chain-tracker-error.js';
import type { BlockHeader, ReorgEvent } from '../src/cache/chain-view.js';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';

const ACCOUNT_0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const ACCOUNT_1 = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const TRANSFER = { from: ACCOUNT_0, to: ACCOUNT_1, value: '0x1' };

async function call(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** Sends a transfer and waits for automine to put it in a block (it may return before mining). */
async function transferMined(url: string): Promise<void> {
  const hash = await call(url, 'eth_sendTransaction', [TRANSFER]);
  const deadline = Date.now() + 5_000;
  while ((await call(url, 'eth_getTransactionReceipt', [hash])) === null) {
    if (Date.now() > deadline) throw new Error(`transfer ${String(hash)} was not mined`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface RawBlock {
  number: string;
  hash: string;
  parentHash: string;
}

async function getBlock(url: string, ref: BlockRef): Promise<BlockHeader | undefined> {
  const tag = typeof ref === 'number' ? `0x${ref.toString(16)}` : ref;
  const block = (await call(url, 'eth_getBlockByNumber', [tag, false])) as RawBlock | null;
  if (block === null) return undefined;
  return { number: Number.parseInt(block.number, 16), hash: block.hash, parentHash: block.parentHash };
}

async function hashAt(url: string, number: number): Promise<string | undefined> {
  return (await getBlock(url, number))?.hash;
}

async function hashesAt(url: string, from: number, to: number): Promise<(string | undefined)[]> {
  const heights = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  return Promise.all(heights.map((height) => hashAt(url, height)));
}

interface Harness {
  node: AnvilNode;
  tracker: ChainTracker;
  reorgs: ReorgEvent[];
  errors: ChainTrackerError[];
}

const nodes: AnvilNode[] = [];

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.stop()));
});

async function setup(): Promise<Harness> {
  const node = await startAnvil();
  nodes.push(node);
  const reorgs: ReorgEvent[] = [];
  const errors: ChainTrackerError[] = [];
  const tracker = new ChainTracker({
    network: 'anvil',
    fetchBlock: (ref) => getBlock(node.url, ref),
    finality: 'depth',
    depth: 5,
    pollMs: 60_000,
    window: 64,
    onReorg: (event) => reorgs.push(event),
    onError: (err) => errors.push(err),
  });
  return { node, tracker, reorgs, errors };
}

/** The tracker holds the node's canonical hash at every height from `from` to the node's head. */
async function expectCanonical({ node, tracker }: Harness, from: number): Promise<void> {
  const head = Number.parseInt((await call(node.url, 'eth_blockNumber')) as string, 16);
  expect(tracker.head).toBe(head);
  const held = Array.from({ length: head - from + 1 }, (_, i) => tracker.hashAt(from + i));
  expect(held).toEqual(await hashesAt(node.url, from, head));
}

describe('ChainTracker against anvil', { timeout: 30_000 }, () => {
  it('reports an anvil_reorg of depth 3 once, with the hashes the node used to serve', async () => {
    const h = await setup();
    await call(h.node.url, 'anvil_mine', ['0xa']);
    await h.tracker.poll();
    await expectCanonical(h, 4);
    expect(h.tracker.finalized).toBe(5);
    const before = await hashesAt(h.node.url, 8, 10);

    // Transactions in the replacement blocks make sure their hashes differ from the old ones.
    await call(h.node.url, 'anvil_reorg', [
      3,
      [
        [TRANSFER, 0],
        [TRANSFER, 2],
      ],
    ]);
    await h.tracker.poll();

    expect(h.reorgs).toEqual([{ network: 'anvil', fromNumber: 8, depth: 3, orphaned: before }]);
    const after = await hashesAt(h.node.url, 8, 10);
    for (const [i, hash] of after.entries()) expect(hash).not.toBe(before[i]);
    await expectCanonical(h, 4);
    expect(h.errors).toEqual([]);

    // Nothing new: a further poll reports nothing.
    await h.tracker.poll();
    expect(h.reorgs).toHaveLength(1);
  });

  it('reports the blocks dropped by evm_revert once new blocks replace them', async () => {
    const h = await setup();
    await call(h.node.url, 'anvil_mine', ['0xa']);
    await h.tracker.poll();
    const snapshot = await call(h.node.url, 'evm_snapshot');
    await call(h.node.url, 'anvil_mine', ['0x2']);
    await h.tracker.poll();
    expect(h.tracker.head).toBe(12);
    const before = await hashesAt(h.node.url, 11, 12);

    expect(await call(h.node.url, 'evm_revert', [snapshot])).toBe(true);
    await transferMined(h.node.url); // block 11, now with the transfer
    await call(h.node.url, 'anvil_mine', ['0x2']);
    await h.tracker.poll();

    expect(h.reorgs).toEqual([{ network: 'anvil', fromNumber: 11, depth: 2, orphaned: before }]);
    await expectCanonical(h, 5);
    expect(h.errors).toEqual([]);
  });

  it('reports blocks above a lower new head as orphaned once the node no longer has them', async () => {
    const h = await setup();
    await call(h.node.url, 'anvil_mine', ['0xa']);
    const snapshot = await call(h.node.url, 'evm_snapshot');
    await call(h.node.url, 'anvil_mine', ['0x3']);
    await h.tracker.poll();
    const before = await hashesAt(h.node.url, 11, 13);

    await call(h.node.url, 'evm_revert', [snapshot]);
    await transferMined(h.node.url); // the chain is now one block above 10
    await h.tracker.poll();

    expect(h.reorgs).toEqual([{ network: 'anvil', fromNumber: 11, depth: 3, orphaned: before }]);
    expect(h.tracker.hashAt(12)).toBeUndefined();
    await expectCanonical(h, 7);
    expect(h.tracker.finalized).toBe(8);
  });
});
