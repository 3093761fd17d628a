/**
 * Read-your-writes: four sessions, each sending signed transfers from its own anvil account
 * through the gateway to two real anvils at different heights (two chains with the same
 * accounts, so a read sent to the wrong one does not see the transaction). After every send,
 * the session's receipt (once mined), transaction, nonce and balance reads all see it with
 * consistency on;
 * with it off, the same load does not.
 */
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { rpc } from './support/rpc.js';
import {
  ANVIL_KEYS,
  signedTransfer,
  startUnevenAnvils,
  type UnevenAnvils,
  unevenNetwork,
} from './support/uneven-anvils.js';

const SENDS = 8;

let anvils: UnevenAnvils;

beforeEach(async () => {
  anvils = await startUnevenAnvils({ lead: 20 });
});

afterEach(async () => {
  await anvils?.stop();
});

async function withGateway<T>(enabled: boolean, run: (url: string) => Promise<T>): Promise<T> {
  const gateway: Gateway = createGateway({
    logging: { level: 'silent' },
    consistency: { enabled },
    networks: {
      anvil: unevenNetwork(anvils),
    },
  });
  try {
    const { url } = await gateway.listen(0, '127.0.0.1');
    return await run(`${url}/anvil`);
  } finally {
    await gateway.close(1_000);
  }
}

/** One session's sends and reads; returns the reads that did not see the latest send. */
async function sendAndRead(url: string, key: Hex, session: string): Promise<string[]> {
  const account = privateKeyToAccount(key);
  const headers = { 'x-turnpike-session': session };
  const call = async (method: string, params: unknown[]) => {
    const answer = await rpc(url, method, params, { headers });
    return answer.body as { result?: unknown; error?: { message: string } };
  };
  const missed: string[] = [];
  let balance = BigInt((await call('eth_getBalance', [account.address, 'latest'])).result as string);
  for (let nonce = 0; nonce < SENDS; nonce++) {
    const raw = await signedTransfer(key, nonce);
    const sent = await call('eth_sendRawTransaction', [raw]);
    if (typeof sent.result !== 'string') {
      missed.push(`send ${nonce}: ${sent.error?.message}`);
      continue;
    }
    const hash = sent.result;
    // Anvil mines a transaction just after accepting it: a node that has it answers a receipt
    // within moments; one that never got it, never (bounded: 100 reads).
    let receipt: { status?: string } | null = null;
    for (let read = 0; read < 100 && receipt === null; read++) {
      receipt = (await call('eth_getTransactionReceipt', [hash])).result as { status?: string } | null;
      if (receipt === null) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (receipt?.status !== '0x1') missed.push(`receipt ${nonce}`);
    const tx = (await call('eth_getTransactionByHash', [hash])).result as { hash?: string } | null;
    if (tx?.hash !== hash) missed.push(`transaction ${nonce}`);
    const count = (await call('eth_getTransactionCount', [account.address, 'latest'])).result;
    if (count !== `0x${(nonce + 1).toString(16)}`) missed.push(`nonce after ${nonce}: ${count}`);
    const now = BigInt((await call('eth_getBalance', [account.address, 'latest'])).result as string);
    if (now >= balance) missed.push(`balance after ${nonce}`);
    balance = now;
  }
  return missed;
}

function runSessions(url: string): Promise<string[][]> {
  return Promise.all(ANVIL_KEYS.map((key, index) => sendAndRead(url, key, `sender-${index}`)));
}

describe('read-your-writes', () => {
  it('without consistency some reads after a send miss it', async () => {
    const missed = await withGateway(false, runSessions);
    expect(missed.flat().length).toBeGreaterThan(0);
  });

  it('every read after a send sees the transaction', async () => {
    const missed = await withGateway(true, runSessions);
    expect(missed).toEqual(ANVIL_KEYS.map(() => []));
  });
});
