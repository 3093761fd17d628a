/**
 * Read-your-writes across instances: a session sends through one gateway instance and reads
 * through another; the instances share the session's sends through a real Redis
 * (`sessions.shared`), so every read about the send goes to the upstream that accepted it. The
 * two upstreams are separate anvil chains with the same accounts (test/support/uneven-anvils.ts):
 * a read sent to the other one does not see the transaction. Without sharing, some do not.
 */
import { type Hex, parseGwei } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TurnpikeConfigInput } from '../src/config/schema.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { REDIS_URL, randomName } from './support/databases.js';
import { rpc } from './support/rpc.js';
import { startUnevenAnvils, type UnevenAnvils } from './support/uneven-anvils.js';

/** Anvil's default accounts 0–3. */
const KEYS: Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
];
const SENDS = 6;
const RECIPIENT = '0x000000000000000000000000000000000000dEaD';

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
      anvil: {
        chainId: 31337,
        health: { maxBlockLag: 0, probeIntervalMs: 100 },
        upstreams: [
          { id: 'ahead', url: anvils.ahead.url },
          { id: 'behind', url: anvils.behind.url },
        ],
      },
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
    const raw = await account.signTransaction({
      chainId: 31337,
      type: 'eip1559',
      to: RECIPIENT,
      value: 1n,
      nonce,
      gas: 21_000n,
      maxFeePerGas: parseGwei('20'),
      maxPriorityFeePerGas: parseGwei('1'),
    });
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
  Promise.all(KEYS.map((key, index) => sendHereReadThere(urls, key, `fleet-sender-${index}`)));

describe('read-your-writes across instances', () => {
  it('with sends kept per instance, some reads on the other instance miss the send', async () => {
    const missed = await withFleet(false, runSessions);
    expect(missed.flat().length).toBeGreaterThan(0);
  });

  it('with sends shared through Redis, every read on the other instance sees it', async () => {
    const missed = await withFleet(true, runSessions);
    expect(missed).toEqual(KEYS.map(() => []));
  });
});
