/**
 * Read-your-writes across instances: a session sends through one gateway instance and reads
 * through another; the instances share the session's sends through a real Redis
 * (`sessions.shared`), so every read about the send goes to the upstream that accepted it. The
 * two upstreams are separate anvil chains with the same accounts (test/support/uneven-anvils.ts):
 * a read sent to the other one does not see the transaction. Without sharing, some do not.
 */
import type { Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TurnpikeConfigInput } from '../src/config/schema.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { REDIS_URL, randomName } from './support/databases.js';
import { rpc } from './support/rpc.js';
import {
  ANVIL_KEYS,
  signedTransfer,
  startUnevenAnvils,
  type UnevenAnvils,
  unevenNetwork,
} from './support/uneven-anvils.js';

const SENDS = 6;

let anvils: UnevenAnvils;

beforeEach(async () => {
  anvils = await startUnevenAnvils({ lead: 20 });
});

afterEach(async () => {
  await anvils?.stop();
});

function config(shared: boolean, prefix: string): TurnpikeConfigInput {
  return {
    logging: { level: 'silent' },
    storage: { redisUrl: REDIS_URL, redisKeyPrefix: prefix },
    cache: { redis: false },
    consistency: { enabled: true, sessions: { shared, sharedReadMs: 0 } },
    networks: {
      anvil: unevenNetwork(anvils),
    },
  };
}

async function withFleet<T>(shared: boolean, run: (urls: [string, string]) => Promise<T>): Promise<T> {
  const prefix = `${randomName('ryw')}:`;
  const gateways: Gateway[] = [createGateway(config(shared, prefix)), createGateway(config(shared, prefix))];
  try {
    const [a, b] = await Promise.all(gateways.map((gateway) => gateway.listen(0, '127.0.0.1')));
    return await run([`${a!.url}/anvil`, `${b!.url}/anvil`]);
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.close(1_000)));
  }
}

/** One session sends through the first instance and reads through the second; returns the misses. */
async function sendHereReadThere([sendUrl, readUrl]: [string, string], key: Hex, session: string) {
  const account = privateKeyToAccount(key);
  const headers = { 'x-turnpike-session': session };
  const call = async (url: string, method: string, params: unknown[]) =>
    (await rpc(url, method, params, { headers })).body as { result?: unknown; error?: { message: string } };
  const missed: string[] = [];
  for (let nonce = 0; nonce < SENDS; nonce++) {
    const raw = await signedTransfer(key, nonce);
    const sent = await call(sendUrl, 'eth_sendRawTransaction', [raw]);
    if (typeof sent.result !== 'string') {
      missed.push(`send ${nonce}: ${sent.error?.message}`);
      continue;
    }
    const hash = sent.result;
    // The node that accepted it mines it at once; the other chain never has it (bounded wait).
    let receipt: { status?: string } | null = null;
    for (let read = 0; read < 50 && receipt === null; read++) {
      receipt = (await call(readUrl, 'eth_getTransactionReceipt', [hash])).result as {
        status?: string;
      } | null;
      if (receipt === null) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (receipt?.status !== '0x1') missed.push(`receipt ${nonce}`);
    const tx = (await call(readUrl, 'eth_getTransactionByHash', [hash])).result as { hash?: string } | null;
    if (tx?.hash !== hash) missed.push(`transaction ${nonce}`);
    const count = (await call(readUrl, 'eth_getTransactionCount', [account.address, 'latest'])).result;
    if (count !== `0x${(nonce + 1).toString(16)}`) missed.push(`nonce after ${nonce}: ${count}`);
  }
  return missed;
}

const runSessions = (urls: [string, string]) =>
  Promise.all(ANVIL_KEYS.map((key, index) => sendHereReadThere(urls, key, `fleet-sender-${index}`)));

describe('read-your-writes across instances', () => {
  it('with sends kept per instance, some reads on the other instance miss the send', async () => {
    const missed = await withFleet(false, runSessions);
    expect(missed.flat().length).toBeGreaterThan(0);
  });

  it('with sends shared through Redis, every read on the other instance sees it', async () => {
    const missed = await withFleet(true, runSessions);
    expect(missed).toEqual(ANVIL_KEYS.map(() => []));
  });
});
