/**
 * eth_sendRawTransaction under retry: the retry resends the identical signed bytes, the
 * transaction lands once, and when the first node did receive it ("already known", "nonce too
 * low" for this very hash) the client still gets success with the right hash.
 */
import { type Hex, keccak256 } from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil, stopAllAnvils } from '../src/dev/anvil.js';
import { type LossyProxy, startLossyProxy, startTestGateway, type TestGateway } from './failover-support.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { rpc } from './support/rpc.js';

// Anvil's default account #3 (every test starts its own node, so nonces start fresh).
const SENDER = privateKeyToAccount('0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6');
const RECIPIENT = '0x000000000000000000000000000000000000bEEF';

let gw: TestGateway | undefined;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await gw?.close();
  gw = undefined;
  await Promise.all(closers.splice(0).map((close) => close()));
});

afterAll(async () => {
  await stopAllAnvils();
});

async function signTransfer(account: PrivateKeyAccount, nonce: number): Promise<Hex> {
  return account.signTransaction({
    chainId: 31337,
    nonce,
    to: RECIPIENT,
    value: 1_000n,
    gas: 21_000n,
    maxFeePerGas: 100_000_000_000n,
    maxPriorityFeePerGas: 1n,
  });
}

async function result<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const res = await rpc(url, method, params);
  const body = res.body as { result?: T; error?: unknown };
  if (body.error !== undefined) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result as T;
}

/** The receipt once mined: automine can lag the send by a few ms on a loaded machine. */
async function receiptOf<T>(node: AnvilNode, hash: Hex): Promise<T | null> {
  for (let i = 0; i < 100; i++) {
    const receipt = await result<T | null>(node.url, 'eth_getTransactionReceipt', [hash]);
    if (receipt !== null) return receipt;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return null;
}

const nonceOf = async (node: AnvilNode, address: string) =>
  Number.parseInt(await result<string>(node.url, 'eth_getTransactionCount', [address, 'latest']), 16);

/** Gateway over [first, second]; the first is always tried first (huge weight), retries go to the second. */
async function gatewayOver(first: string, second: string, attemptTimeoutMs = 5_000): Promise<TestGateway> {
  return startTestGateway(
    [
      { id: 'first', url: first, weight: 1_000_000 },
      { id: 'second', url: second },
    ],
    { failsafe: { attemptTimeoutMs, deadlineMs: 20_000, retry: { maxAttempts: 3 } } },
  );
}

async function proxy(node: AnvilNode): Promise<FaultProxy> {
  const started = await startFaultProxy(node.url);
  closers.push(() => started.close());
  return started;
}

async function lossy(node: AnvilNode, mode: 'truncate' | 'hang'): Promise<LossyProxy> {
  const started = await startLossyProxy(node.url, 'eth_sendRawTransaction', mode);
  closers.push(() => started.close());
  return started;
}

describe('eth_sendRawTransaction under retry', () => {
  it('a reset before the node saw it: the retry sends the identical bytes, mined once', async () => {
    const node = await startAnvil();
    const first = await proxy(node);
    const second = await proxy(node);
    first.setFault({ kind: 'reset', methods: ['eth_sendRawTransaction'] });
    gw = await gatewayOver(first.url, second.url);
    const nonce = await nonceOf(node, SENDER.address);
    const raw = await signTransfer(SENDER, nonce);

    const res = await rpc(gw.url, 'eth_sendRawTransaction', [raw], { id: 42 });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ jsonrpc: '2.0', id: 42, result: keccak256(raw) });
    expect(res.headers['x-turnpike-upstream']).toBe('second');
    expect(first.stats.faulted).toBe(1);
    expect(second.stats.byMethod.get('eth_sendRawTransaction')).toBe(1);
    // The mined transaction has the hash of our exact bytes: nothing was re-encoded or re-signed.
    const receipt = await receiptOf<{ status: string; transactionHash: string }>(node, keccak256(raw));
    expect(receipt).toMatchObject({ status: '0x1', transactionHash: keccak256(raw) });
    expect(await nonceOf(node, SENDER.address)).toBe(nonce + 1);
  });

  it('the first node mined it but the answer was truncated: the retry gets "nonce too low" and still succeeds', async () => {
    const node = await startAnvil(); // automine: the first node mines it at once
    const first = await lossy(node, 'truncate');
    const second = await proxy(node);
    gw = await gatewayOver(first.url, second.url);
    const nonce = await nonceOf(node, SENDER.address);
    const raw = await signTransfer(SENDER, nonce);

    const res = await rpc(gw.url, 'eth_sendRawTransaction', [raw], { id: 'tx-1' });

    expect(first.lost).toBe(1);
    expect(res.body).toEqual({ jsonrpc: '2.0', id: 'tx-1', result: keccak256(raw) });
    expect(second.stats.byMethod.get('eth_sendRawTransaction')).toBe(1);
    // Usually anvil has mined it and answers "nonce too low", and the recovery looks the hash up
    // before claiming success; if the retry wins the race with automine, anvil answers "already
    // imported" and no lookup is needed. Either way: at most one lookup, and success above.
    expect(second.stats.byMethod.get('eth_getTransactionByHash') ?? 0).toBeLessThanOrEqual(1);
    // "already imported" means the pool has it and automine is still mining it: wait for it.
    await expect.poll(() => nonceOf(node, SENDER.address)).toBe(nonce + 1);
    const receipt = await receiptOf<{ status: string }>(node, keccak256(raw));
    expect(receipt?.status).toBe('0x1');
  });

  it('the first node took it but never answered: the retry gets "already known" and still succeeds', async () => {
    const node = await startAnvil({ noMining: true }); // the transaction waits in the pool
    const first = await lossy(node, 'hang');
    const second = await proxy(node);
    gw = await gatewayOver(first.url, second.url, 1_000);
    const nonce = await nonceOf(node, SENDER.address);
    const raw = await signTransfer(SENDER, nonce);

    const res = await rpc(gw.url, 'eth_sendRawTransaction', [raw], { id: 7 });

    expect(first.lost).toBe(1);
    expect(res.body).toEqual({ jsonrpc: '2.0', id: 7, result: keccak256(raw) });
    expect(second.stats.byMethod.get('eth_sendRawTransaction')).toBe(1);
    // Exactly one transaction is pending; mining it moves the nonce by one.
    await result(node.url, 'evm_mine', []);
    expect(await nonceOf(node, SENDER.address)).toBe(nonce + 1);
    const receipt = await receiptOf<{ status: string }>(node, keccak256(raw));
    expect(receipt?.status).toBe('0x1');
  });

  it('a different transaction with a used nonce is not mistaken for success', async () => {
    const node = await startAnvil();
    const first = await proxy(node);
    const second = await proxy(node);
    gw = await gatewayOver(first.url, second.url);
    const nonce = await nonceOf(node, SENDER.address);
    const mined = await signTransfer(SENDER, nonce);
    await result(node.url, 'eth_sendRawTransaction', [mined]);
    await receiptOf(node, keccak256(mined)); // mined, so the conflict is "nonce too low", not a replacement
    // Same nonce, different value: a genuinely conflicting transaction.
    const conflicting = await SENDER.signTransaction({
      chainId: 31337,
      nonce,
      to: RECIPIENT,
      value: 2_000n,
      gas: 21_000n,
      maxFeePerGas: 100_000_000_000n,
      maxPriorityFeePerGas: 1n,
    });
    const res = await rpc(gw.url, 'eth_sendRawTransaction', [conflicting], { id: 3 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 3, error: { message: expect.stringMatching(/nonce too low/i) } });
    expect(res.body).not.toHaveProperty('result');
  });
});
