/**
 * Consistency metrics through /metrics: two sessions' `latest` reads (two anvils 20 blocks
 * apart) and one session's signed send and receipt read show as the sessions gauge and the
 * routed-requests counter by reason; the shared-mark failure counter is there (0 without Redis).
 */
import { parseGwei } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { postJson, rpc } from './support/rpc.js';
import { startUnevenAnvils, type UnevenAnvils } from './support/uneven-anvils.js';

/** Anvil's default account 1. */
const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';

let anvils: UnevenAnvils;
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  anvils = await startUnevenAnvils({ lead: 20 });
  // Both heads above 0, so every mark after a session's first read is above 0 (and counts).
  await rpc(anvils.behind.url, 'anvil_mine', ['0x1']);
  gateway = createGateway({
    logging: { level: 'silent' },
    consistency: { enabled: true },
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
  });
  ({ url: base } = await gateway.listen(0, '127.0.0.1'));
});

afterAll(async () => {
  await gateway?.close(1_000);
  await anvils?.stop();
});

async function call(session: string, method: string, params: unknown[]): Promise<unknown> {
  const answer = await postJson(
    `${base}/anvil`,
    { jsonrpc: '2.0', id: 1, method, params },
    { headers: { 'x-turnpike-session': session } },
  );
  const body = answer.body as { result?: unknown };
  expect(body.result, answer.text).toBeDefined();
  return body.result;
}

/** The value of one series of the /metrics text (undefined when absent). */
async function sample(series: string): Promise<number | undefined> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

it('counts sessions, requests routed by mark and by send, and shared-mark failures', async () => {
  for (let i = 0; i < 10; i++) {
    await call('alpha', 'eth_blockNumber', []);
    await call('beta', 'eth_getBlockByNumber', ['latest', false]);
  }
  const account = privateKeyToAccount(KEY);
  const raw = await account.signTransaction({
    chainId: 31337,
    type: 'eip1559',
    to: '0x000000000000000000000000000000000000dEaD',
    value: 1n,
    nonce: 0,
    gas: 21_000n,
    maxFeePerGas: parseGwei('20'),
    maxPriorityFeePerGas: parseGwei('1'),
  });
  const hash = await call('alpha', 'eth_sendRawTransaction', [raw]);
  await call('alpha', 'eth_getTransactionReceipt', [hash]);

  expect(await sample('turnpike_consistency_sessions{network="anvil"}')).toBe(2);
  // Each session's first read has no mark yet; the 9 after it are routed by it.
  expect(await sample('turnpike_consistency_routed_requests_total{network="anvil",reason="mark"}')).toBe(18);
  expect(await sample('turnpike_consistency_routed_requests_total{network="anvil",reason="send"}')).toBe(1);
  expect(await sample('turnpike_consistency_shared_mark_failures_total')).toBe(0);
});
