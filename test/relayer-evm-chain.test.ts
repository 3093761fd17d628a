/**
 * EvmChain against a real anvil node: the demo contracts deployed, batches signed, broadcast and
 * mined, the node's refusals mapped, and the gas per transfer measured (batch-gas.ts).
 */
import { decodeFunctionResult, encodeFunctionData, type Hex, keccak256, numberToHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil, stopAllAnvils } from '../src/dev/anvil.js';
import { deployDemoContracts } from '../src/dev/dev-relayer-contracts.js';
import type { RpcCall } from '../src/relayer/chains/chain.js';
import { erc20Abi } from '../src/relayer/chains/evm/abi.js';
import { GAS_BATCH_OVERHEAD, GAS_PER_TRANSFER } from '../src/relayer/chains/evm/batch-gas.js';
import { EvmChain } from '../src/relayer/chains/evm/evm-chain.js';
import type { BatchTransfer } from '../src/relayer/model.js';
import { RpcAnswerError } from '../src/rpc/rpc-answer-error.js';

// Anvil's test-mnemonic accounts 1–3 sign (account 0 deploys).
const KEYS: Hex[] = [
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
];
const SIGNER = privateKeyToAccount(KEYS[0]!).address.toLowerCase();
const SIGNER_2 = privateKeyToAccount(KEYS[1]!).address.toLowerCase();
const SIGNER_3 = privateKeyToAccount(KEYS[2]!).address.toLowerCase();
const UNIT = 10n ** 18n;
const MINT = 1_000_000n * UNIT;

let node: AnvilNode;
let rpc: RpcCall;
let chain: EvmChain;
let token: string;
let batchContract: string;

/** A small fetch-based RpcCall: node errors become RpcAnswerError, as the pipeline's would. */
function fetchRpc(url: string): RpcCall {
  let id = 0;
  return async (method, params) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { code?: unknown; message?: unknown } };
    if (body.error !== undefined) throw new RpcAnswerError(method, body.error);
    return body.result;
  };
}

/** Distinct addresses nobody has used: every recipient write is a cold zero → non-zero slot. */
let recipientSeed = 0;
function freshRecipients(count: number, amount: (i: number) => bigint): BatchTransfer[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `t${i}`,
    to: keccak256(numberToHex(++recipientSeed, { size: 32 })).slice(0, 42),
    amount: amount(i),
  }));
}

async function balanceOf(address: string): Promise<bigint> {
  const data = encodeFunctionData({ abi: erc20Abi, functionName: 'balanceOf', args: [address as Hex] });
  const answer = (await rpc('eth_call', [{ to: token, data }, 'latest'])) as Hex;
  return decodeFunctionResult({ abi: erc20Abi, functionName: 'balanceOf', data: answer });
}

/** anvil's automine answers eth_sendRawTransaction before the block is sealed: wait for the receipt. */
async function gasUsed(hash: string): Promise<bigint> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const receipt = (await rpc('eth_getTransactionReceipt', [hash])) as { gasUsed: string } | null;
    if (receipt !== null) return BigInt(receipt.gasUsed);
    if (Date.now() > deadline) throw new Error(`no receipt for ${hash} within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Estimates, signs at the key's pending nonce, broadcasts; anvil mines it at once (automine). */
async function sendBatch(signer: string, transfers: readonly BatchTransfer[]) {
  const estimate = await chain.estimateBatch(signer, token, transfers);
  if (!estimate.ok) throw new Error(estimate.reason);
  const [{ pending }, fees] = await Promise.all([chain.nonces(signer), chain.fees()]);
  const signed = await chain.signBatch(signer, pending, fees, estimate.gas, token, transfers);
  expect(await chain.broadcast(signed.raw)).toEqual({ kind: 'accepted' });
  return signed;
}

async function withoutAutomine<T>(fn: () => Promise<T>): Promise<T> {
  await rpc('evm_setAutomine', [false]);
  try {
    return await fn();
  } finally {
    await rpc('evm_setAutomine', [true]);
  }
}

beforeAll(async () => {
  node = await startAnvil();
  rpc = fetchRpc(node.url);
  const deployed = await deployDemoContracts({ rpcUrl: node.url, signerKeys: KEYS, mintPerSigner: MINT });
  token = deployed.token;
  batchContract = deployed.batchContract;
  chain = new EvmChain({
    rpc,
    chainId: node.chainId,
    batchContract,
    privateKeys: KEYS,
  });
});

afterAll(stopAllAnvils);

describe('EvmChain on anvil', () => {
  it('knows its signers, and the deployment funded and approved them', async () => {
    expect(chain.signers).toEqual([SIGNER, SIGNER_2, SIGNER_3]);
    expect(await balanceOf(SIGNER)).toBe(MINT);
    expect(await chain.preflight(SIGNER, token, MINT)).toEqual({ ok: true, available: MINT });
  });

  it('sends a batch of 50 transfers; every recipient receives its amount', async () => {
    const transfers = freshRecipients(50, (i) => BigInt(i + 1) * UNIT + 7n);
    const total = transfers.reduce((sum, t) => sum + t.amount, 0n);
    expect(await chain.preflight(SIGNER, token, total)).toMatchObject({ ok: true });
    const before = await chain.nonces(SIGNER);
    const signed = await sendBatch(SIGNER, transfers);
    expect(signed.hash).toBe(keccak256(signed.raw as Hex));

    await gasUsed(signed.hash); // mined
    const receipts = await chain.receipts([signed.hash]);
    expect(receipts.get(signed.hash)?.status).toBe('success');
    expect(receipts.get(signed.hash)?.blockNumber).toBeGreaterThan(0);
    const balances = await Promise.all(transfers.map((t) => balanceOf(t.to)));
    expect(balances).toEqual(transfers.map((t) => t.amount));
    expect(await chain.nonces(SIGNER)).toEqual({ latest: before.latest + 1, pending: before.pending + 1 });
  });

  it('measures the gas per transfer and the fixed overhead (fresh recipients)', async () => {
    const one = await sendBatch(
      SIGNER,
      freshRecipients(1, () => 123n * UNIT + 45n),
    );
    const many = await sendBatch(
      SIGNER,
      freshRecipients(51, (i) => BigInt(i + 123) * UNIT + 45n),
    );
    const [gas1, gas51] = await Promise.all([gasUsed(one.hash), gasUsed(many.hash)]);
    const perTransfer = (gas51 - gas1) / 50n;
    const overhead = gas1 - perTransfer;
    console.log(
      `transferBatch gas on anvil: 1 transfer ${gas1}, 51 transfers ${gas51}; ` +
        `per transfer ${perTransfer}, overhead ${overhead} ` +
        `(batch-gas.ts: ${GAS_PER_TRANSFER} and ${GAS_BATCH_OVERHEAD})`,
    );
    expect(perTransfer).toBeLessThanOrEqual(GAS_PER_TRANSFER);
    expect(overhead).toBeLessThanOrEqual(GAS_BATCH_OVERHEAD);
    // The figures must not be so loose that batches come out much smaller than they could be.
    expect(GAS_PER_TRANSFER - perTransfer).toBeLessThan(perTransfer / 10n);
    const size = chain.maxBatchSize(15_000_000n);
    expect((GAS_BATCH_OVERHEAD + BigInt(size) * GAS_PER_TRANSFER) * 12n).toBeLessThanOrEqual(150_000_000n);
    expect((GAS_BATCH_OVERHEAD + BigInt(size + 1) * GAS_PER_TRANSFER) * 12n).toBeGreaterThan(150_000_000n);
  });

  it('a batch with a transfer beyond the balance: preflight says by how much, the estimate says it reverts', async () => {
    const balance = await balanceOf(SIGNER_2);
    const transfers = [...freshRecipients(3, () => UNIT), ...freshRecipients(1, () => balance + 1n)];
    const total = transfers.reduce((sum, t) => sum + t.amount, 0n);
    const preflight = await chain.preflight(SIGNER_2, token, total);
    expect(preflight).toEqual({
      ok: false,
      retryable: true,
      reason: `token balance of ${SIGNER_2} is ${balance}, below the batch total ${total} (short by ${total - balance})`,
      available: balance,
    });
    const estimate = await chain.estimateBatch(SIGNER_2, token, transfers);
    expect(estimate.ok).toBe(false);
    if (!estimate.ok) expect(estimate.reason).toMatch(/insufficient balance/);
    // Without the large transfer the rest goes.
    expect((await chain.estimateBatch(SIGNER_2, token, transfers.slice(0, 3))).ok).toBe(true);
  });

  it('a token dearer than the formula: the simulation runs out of gas, eth_estimateGas sizes the limit, the batch is mined', async () => {
    // The same node with a per-transfer figure far below the real ~26,600: the one eth_call at
    // the formula's gas runs out, so the limit must come from eth_estimateGas (plus 20 %).
    const calls: string[] = [];
    /** A chain on the same node whose node calls are listed in `calls`. */
    const listing = (gasPerTransfer?: bigint) =>
      new EvmChain({
        rpc: (method, params) => {
          calls.push(method);
          return rpc(method, params);
        },
        chainId: node.chainId,
        batchContract,
        privateKeys: KEYS,
        ...(gasPerTransfer !== undefined && { gasPerTransfer }),
      });
    const underestimating = listing(2_000n);
    const transfers = freshRecipients(20, () => 9n);
    const estimate = await underestimating.estimateBatch(SIGNER, token, transfers);
    expect(calls).toEqual(['eth_call', 'eth_estimateGas']);
    if (!estimate.ok) throw new Error(estimate.reason);
    expect(estimate.gas).toBeGreaterThan(GAS_BATCH_OVERHEAD + 20n * 2_000n);
    const [{ pending }, fees] = await Promise.all([chain.nonces(SIGNER), chain.fees()]);
    const signed = await underestimating.signBatch(SIGNER, pending, fees, estimate.gas, token, transfers);
    expect(await chain.broadcast(signed.raw)).toEqual({ kind: 'accepted' });
    await gasUsed(signed.hash);
    expect((await chain.receipts([signed.hash])).get(signed.hash)?.status).toBe('success');
    expect(await balanceOf(transfers[19]!.to)).toBe(9n);
    // With the real figures one simulation is enough.
    calls.length = 0;
    const cheap = listing();
    expect(
      (
        await cheap.estimateBatch(
          SIGNER,
          token,
          freshRecipients(20, () => 9n),
        )
      ).ok,
    ).toBe(true);
    expect(calls).toEqual(['eth_call']);
  });

  it('preflight: a short allowance is retryable, a token without code is not', async () => {
    const approve = encodeFunctionData({
      abi: erc20Abi,
      functionName: 'approve',
      args: [batchContract as Hex, 5n],
    });
    await rpc('anvil_impersonateAccount', [SIGNER_3]);
    await rpc('eth_sendTransaction', [{ from: SIGNER_3, to: token, data: approve }]);
    await rpc('anvil_stopImpersonatingAccount', [SIGNER_3]);
    expect(await chain.preflight(SIGNER_3, token, 8n)).toEqual({
      ok: false,
      retryable: true,
      reason: `allowance of ${SIGNER_3} for the batch contract is 5, below the batch total 8 (short by 3)`,
      available: 5n,
    });
    const nowhere = '0x000000000000000000000000000000000000dead';
    expect(await chain.preflight(SIGNER, nowhere, 1n)).toEqual({
      ok: false,
      retryable: false,
      reason: `no contract code at token ${nowhere}`,
    });
  });

  it('broadcast: the same raw again is accepted (pending, and through the gateway); a used nonce is nonce-too-low', async () => {
    const transfers = freshRecipients(2, () => UNIT);
    const estimate = await chain.estimateBatch(SIGNER_2, token, transfers);
    if (!estimate.ok) throw new Error(estimate.reason);
    const [{ pending: nonce }, fees] = await Promise.all([chain.nonces(SIGNER_2), chain.fees()]);
    const signed = await chain.signBatch(SIGNER_2, nonce, fees, estimate.gas, token, transfers);
    await withoutAutomine(async () => {
      expect(await chain.broadcast(signed.raw)).toEqual({ kind: 'accepted' });
      // anvil: "transaction already imported"
      expect(await chain.broadcast(signed.raw)).toEqual({ kind: 'accepted' });
      expect(await chain.nonces(SIGNER_2)).toEqual({ latest: nonce, pending: nonce + 1 });
      expect((await chain.receipts([signed.hash])).size).toBe(0);
      await rpc('evm_mine', []);
    });
    expect((await chain.receipts([signed.hash])).get(signed.hash)?.status).toBe('success');

    // Mined: anvil answers "nonce too low" for the same bytes and for another tx at that nonce.
    expect(await chain.broadcast(signed.raw)).toEqual({ kind: 'nonce-too-low' });
    const other = await chain.signNoop(SIGNER_2, nonce, fees);
    expect(await chain.broadcast(other.raw)).toEqual({ kind: 'nonce-too-low' });

    // Turnpike's pipeline turns "already known" into the tx hash: that is accepted too.
    const viaGateway = new EvmChain({
      rpc: async (method, params) =>
        method === 'eth_sendRawTransaction' ? signed.hash : rpc(method, params),
      chainId: node.chainId,
      batchContract,
      privateKeys: KEYS,
    });
    expect(await viaGateway.broadcast(signed.raw)).toEqual({ kind: 'accepted' });

    // A refusal for another reason: the chain id is wrong.
    const foreign = new EvmChain({
      rpc,
      chainId: 1,
      batchContract,
      privateKeys: KEYS,
    });
    const wrongChain = await foreign.signNoop(SIGNER_2, nonce + 1, fees);
    const refused = await chain.broadcast(wrongChain.raw);
    expect(refused.kind).toBe('rejected');
  });

  it('a no-op fills a nonce gap so the transaction after it is mined', async () => {
    const { pending: nonce } = await chain.nonces(SIGNER_3);
    const fees = await chain.fees();
    const transfers = freshRecipients(1, () => 2n);
    const estimate = await chain.estimateBatch(SIGNER_3, token, transfers);
    if (!estimate.ok) throw new Error(estimate.reason);
    // Signed at nonce + 1: it waits in the pool behind the gap.
    const later = await chain.signBatch(SIGNER_3, nonce + 1, fees, estimate.gas, token, transfers);
    expect(await chain.broadcast(later.raw)).toEqual({ kind: 'accepted' });
    expect((await chain.receipts([later.hash])).size).toBe(0);

    const noop = await chain.signNoop(SIGNER_3, nonce, fees);
    expect(await chain.broadcast(noop.raw)).toEqual({ kind: 'accepted' });
    const receipts = await waitForReceipts([noop.hash, later.hash]);
    expect(receipts.get(noop.hash)?.status).toBe('success');
    expect(receipts.get(later.hash)?.status).toBe('success');
    expect(await gasUsed(noop.hash)).toBe(21_000n);
    expect(await chain.nonces(SIGNER_3)).toEqual({ latest: nonce + 2, pending: nonce + 2 });
    expect(await balanceOf(transfers[0]!.to)).toBe(2n);
  });

  it('resign replaces a pending transaction with higher fees at the same nonce', async () => {
    const transfers = freshRecipients(3, () => 3n);
    const estimate = await chain.estimateBatch(SIGNER, token, transfers);
    if (!estimate.ok) throw new Error(estimate.reason);
    const [{ pending: nonce }, fees] = await Promise.all([chain.nonces(SIGNER), chain.fees()]);
    const first = await chain.signBatch(SIGNER, nonce, fees, estimate.gas, token, transfers);
    const bumped = {
      maxFeePerGas: (fees.maxFeePerGas * 115n) / 100n,
      maxPriorityFeePerGas: (fees.maxPriorityFeePerGas * 115n) / 100n,
    };
    await withoutAutomine(async () => {
      expect(await chain.broadcast(first.raw)).toEqual({ kind: 'accepted' });
      const second = await chain.resign(SIGNER, first.raw, bumped);
      expect(second.hash).not.toBe(first.hash);
      expect(await chain.broadcast(second.raw)).toEqual({ kind: 'accepted' });
      await rpc('evm_mine', []);
      const receipts = await chain.receipts([first.hash, second.hash]);
      expect([...receipts.keys()]).toEqual([second.hash]);
    });
    await expect(chain.resign(SIGNER_2, first.raw, bumped)).rejects.toThrow(/not from/);
    expect(await balanceOf(transfers[2]!.to)).toBe(3n);
  });

  it('receipts: absent for unknown hashes', async () => {
    const unknown = `0x${'ab'.repeat(32)}`;
    expect((await chain.receipts([unknown])).size).toBe(0);
    expect((await chain.receipts([])).size).toBe(0);
  });

  it('fees: twice the base fee plus the tip', async () => {
    const block = (await rpc('eth_getBlockByNumber', ['latest', false])) as { baseFeePerGas: string };
    const tip = BigInt((await rpc('eth_maxPriorityFeePerGas', [])) as string);
    expect(await chain.fees()).toEqual({
      maxFeePerGas: 2n * BigInt(block.baseFeePerGas) + tip,
      maxPriorityFeePerGas: tip,
    });
  });
});

async function waitForReceipts(hashes: string[]) {
  for (let i = 0; i < 100; i++) {
    const receipts = await chain.receipts(hashes);
    if (receipts.size === hashes.length) return receipts;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('receipts did not arrive');
}
