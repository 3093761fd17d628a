/**
 * eth_blockNumber from the chain tracker never lags what the gateway has just passed on: after
 * a transaction sent through it, or a receipt naming a block above the tracker's head, the block
 * number comes from an upstream until the tracker has read the head again. (ethers'
 * waitForTransaction asks the block number, then the receipt, and waits forever for a block
 * event it already had when the number is one behind the receipt's block.) The tracker polls
 * once a minute and its head counts as fresh for a minute: without the rule, every answer below
 * would be the stale head.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { rpc } from './support/rpc.js';

const ALICE = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const BOB = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';

let anvil: AnvilNode;
let gateway: Gateway;
let url: string;

async function call(target: string, method: string, params: unknown[] = []) {
  const res = await rpc(target, method, params);
  return { result: (res.body as { result: unknown }).result, cache: res.headers['x-cache'] };
}

const blockNumber = async () => {
  const { result, cache } = await call(url, 'eth_blockNumber');
  return { number: Number.parseInt(result as string, 16), cache };
};

beforeAll(async () => {
  anvil = await startAnvil();
  gateway = createGateway({
    logging: { level: 'silent' },
    networks: {
      anvil: {
        upstreams: [{ url: anvil.url }],
        cache: { finality: 'depth', depth: 5, headPollMs: 60_000, blockNumberMaxAgeMs: 60_000 },
      },
    },
  });
  url = `${(await gateway.listen(0, '127.0.0.1')).url}/anvil`;
  // A chain-dependent read starts the tracker; after its first read eth_blockNumber is its head.
  await call(url, 'eth_getBlockByNumber', ['0x0', false]);
});

const anvilHead = async () =>
  Number.parseInt((await call(anvil.url, 'eth_blockNumber')).result as string, 16);

/** Until eth_blockNumber is the tracker's head (a cache hit) and that is the node's head. */
async function trackerServes(): Promise<void> {
  // The node's head is read on every try: anvil may still be mining a transaction sent just before.
  await expect
    .poll(
      async () => {
        const head = await anvilHead();
        const served = await blockNumber();
        return served.cache === 'HIT' && served.number === head;
      },
      { timeout: 30_000 },
    )
    .toBe(true);
}

/** The receipt as the node itself has it, once mined (anvil may answer a send before it mines). */
async function minedReceipt(hash: unknown): Promise<{ blockNumber: string }> {
  let receipt: { blockNumber: string } | null = null;
  await expect
    .poll(
      async () => {
        receipt = (await call(anvil.url, 'eth_getTransactionReceipt', [hash])).result as typeof receipt;
        return receipt !== null;
      },
      { timeout: 30_000 },
    )
    .toBe(true);
  return receipt as unknown as { blockNumber: string };
}

afterAll(async () => {
  await gateway?.close(1_000);
  await anvil?.stop();
});

describe('eth_blockNumber served from the chain tracker', () => {
  it('is not behind a transaction the gateway just sent (anvil mines it at once)', async () => {
    await trackerServes();
    const hash = (await call(url, 'eth_sendTransaction', [{ from: ALICE, to: BOB, value: '0x1' }])).result;
    // Asked of the node, not the gateway: the gateway learns of the block from the send alone.
    const receipt = await minedReceipt(hash);
    const number = await blockNumber();
    expect(number.number).toBeGreaterThanOrEqual(Number.parseInt(receipt.blockNumber, 16));
  });

  it('is not behind the block of a receipt it passed on', async () => {
    await trackerServes();
    // Sent to anvil directly: the gateway learns of the new block only from the receipt.
    const hash = (await call(anvil.url, 'eth_sendTransaction', [{ from: ALICE, to: BOB, value: '0x2' }]))
      .result;
    const receipt = (await call(url, 'eth_getTransactionReceipt', [hash])).result as { blockNumber: string };
    expect((await blockNumber()).number).toBeGreaterThanOrEqual(Number.parseInt(receipt.blockNumber, 16));
  });

  it('is answered by the tracker again once it has read the new head', async () => {
    await call(anvil.url, 'eth_sendTransaction', [{ from: ALICE, to: BOB, value: '0x3' }]);
    await call(url, 'eth_sendTransaction', [{ from: ALICE, to: BOB, value: '0x4' }]);
    // The write's nudge has the tracker read the new head (its timer poll is a minute away).
    await trackerServes();
  });
});
