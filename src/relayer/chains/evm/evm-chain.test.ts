/** How EvmChain reads node answers; the node itself is tested in test/relayer-evm-chain.test.ts. */
import { encodeErrorResult, type Hex, keccak256 } from 'viem';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../errors/gateway-error.js';
import { RpcAnswerError } from '../../../rpc/rpc-answer-error.js';
import type { RpcCall } from '../chain.js';
import { batchTransferAbi } from './abi.js';
import { EvmChain, FALLBACK_PRIORITY_FEE } from './evm-chain.js';

const KEY: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const SIGNER = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const TOKEN = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const BATCH = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512';
const FEES = { maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };

function chainWith(rpc: RpcCall): EvmChain {
  return new EvmChain({ rpc, chainId: 31337, batchContract: BATCH, privateKeys: [KEY] });
}

function answering(method: string, answer: () => unknown): RpcCall {
  return async (called) => {
    if (called !== method) throw new Error(`unexpected ${called}`);
    return answer();
  };
}

const nodeSays =
  (method: string, message: string, code = -32000, data?: unknown) =>
  () => {
    throw new RpcAnswerError(method, { code, message, data });
  };

describe('EvmChain', () => {
  it('derives lowercase signer addresses and refuses an invalid batch contract', () => {
    expect(chainWith(async () => null).signers).toEqual([SIGNER]);
    expect(
      () => new EvmChain({ rpc: async () => null, chainId: 1, batchContract: '0x12', privateKeys: [] }),
    ).toThrow(/batchContract/);
  });

  describe('broadcast', () => {
    const raw = async () => (await chainWith(async () => null).signNoop(SIGNER, 0, FEES)).raw;

    it('maps the node answers', async () => {
      const tx = await raw();
      const hash = keccak256(tx as Hex);
      const cases: [unknown, unknown][] = [
        [() => hash, { kind: 'accepted' }],
        [() => hash.toUpperCase().replace('0X', '0x'), { kind: 'accepted' }],
        [nodeSays('eth_sendRawTransaction', 'already known'), { kind: 'accepted' }],
        [nodeSays('eth_sendRawTransaction', 'known transaction: 0xabc'), { kind: 'accepted' }],
        [nodeSays('eth_sendRawTransaction', 'transaction already imported', -32003), { kind: 'accepted' }],
        [
          nodeSays('eth_sendRawTransaction', 'nonce too low: next nonce 5, tx nonce 0'),
          { kind: 'nonce-too-low' },
        ],
        [
          nodeSays('eth_sendRawTransaction', 'replacement transaction underpriced'),
          { kind: 'rejected', reason: 'eth_sendRawTransaction: replacement transaction underpriced' },
        ],
        [
          () => `0x${'00'.repeat(32)}`,
          { kind: 'rejected', reason: expect.stringMatching(/instead of the hash/) },
        ],
      ];
      for (const [answer, expected] of cases)
        expect(
          await chainWith(answering('eth_sendRawTransaction', answer as () => unknown)).broadcast(tx),
        ).toEqual(expected);
    });

    it('rethrows pipeline failures', async () => {
      const failure = new GatewayError('ERR_NO_UPSTREAM', 'no upstream');
      const chain = chainWith(async () => {
        throw failure;
      });
      await expect(chain.broadcast(await raw())).rejects.toBe(failure);
    });
  });

  describe('estimateBatch', () => {
    const transfers = [{ id: 'a', to: SIGNER, amount: 5n }];
    /** 33,000 overhead + 27,000 for the one transfer (batch-gas.ts). */
    const FORMULA = 60_000n;

    it('simulates once at the formula gas and signs with the formula plus 20 %', async () => {
      const calls: unknown[][] = [];
      const chain = chainWith(async (method, params) => {
        calls.push([method, params]);
        if (method !== 'eth_call') throw new Error(`unexpected ${method}`);
        return '0x';
      });
      expect(await chain.estimateBatch(SIGNER, TOKEN, transfers)).toEqual({ ok: true, gas: 72_000n });
      expect(calls).toHaveLength(1);
      expect(calls[0]![1]).toEqual([
        expect.objectContaining({ from: SIGNER, to: BATCH, gas: `0x${FORMULA.toString(16)}` }),
        'latest',
      ]);
    });

    /** eth_call fails as `simulation` says; eth_estimateGas answers `estimate`. */
    function simulatingThen(simulation: () => unknown, estimate: () => unknown): RpcCall {
      return async (method) => {
        if (method === 'eth_call') return simulation();
        if (method === 'eth_estimateGas') return estimate();
        throw new Error(`unexpected ${method}`);
      };
    }

    it('asks eth_estimateGas when the simulation fails (a dearer token), and pads its figure', async () => {
      const outOfGas = nodeSays('eth_call', 'EVM error OutOfGas');
      const chain = chainWith(simulatingThen(outOfGas, () => '0x186a0'));
      expect(await chain.estimateBatch(SIGNER, TOKEN, transfers)).toEqual({ ok: true, gas: 120_000n });
      // An inner call short of gas comes back as the batch contract's revert: estimated too.
      const masked = nodeSays('eth_call', 'execution reverted', 3);
      expect(
        await chainWith(simulatingThen(masked, () => '0x186a0')).estimateBatch(SIGNER, TOKEN, transfers),
      ).toEqual({
        ok: true,
        gas: 120_000n,
      });
    });

    it('turns a revert that eth_estimateGas confirms into a reason, decoding the batch contract errors', async () => {
      const data = encodeErrorResult({ abi: batchTransferAbi, errorName: 'TransferFailed', args: [3n] });
      const reverts = (method: string, message: string, payload?: unknown) =>
        nodeSays(method, message, 3, payload);
      const chain = chainWith(
        simulatingThen(
          reverts('eth_call', 'execution reverted', data),
          reverts('eth_estimateGas', 'execution reverted', data),
        ),
      );
      expect(await chain.estimateBatch(SIGNER, TOKEN, transfers)).toEqual({
        ok: false,
        reason: 'eth_estimateGas: execution reverted (TransferFailed(3))',
      });
      const plain = chainWith(
        simulatingThen(
          nodeSays('eth_call', 'execution reverted: insufficient balance'),
          nodeSays('eth_estimateGas', 'execution reverted: insufficient balance'),
        ),
      );
      expect(await plain.estimateBatch(SIGNER, TOKEN, transfers)).toEqual({
        ok: false,
        reason: 'eth_estimateGas: execution reverted: insufficient balance',
      });
    });

    it('rethrows answers that are not about the call, and pipeline failures', async () => {
      const funds = chainWith(answering('eth_call', nodeSays('eth_call', 'insufficient funds for gas')));
      await expect(funds.estimateBatch(SIGNER, TOKEN, transfers)).rejects.toBeInstanceOf(RpcAnswerError);
      const down = chainWith(async () => {
        throw new GatewayError('ERR_UPSTREAM_TIMEOUT', 'timeout');
      });
      await expect(down.estimateBatch(SIGNER, TOKEN, transfers)).rejects.toBeInstanceOf(GatewayError);
    });
  });

  describe('fees', () => {
    const block = { baseFeePerGas: '0x3b9aca00' };

    it('falls back to 1 gwei when the node lacks eth_maxPriorityFeePerGas', async () => {
      const chain = chainWith(async (method) => {
        if (method === 'eth_maxPriorityFeePerGas')
          throw new RpcAnswerError(method, { code: -32601, message: 'the method does not exist' });
        return block;
      });
      expect(await chain.fees()).toEqual({
        maxFeePerGas: 2_000_000_000n + FALLBACK_PRIORITY_FEE,
        maxPriorityFeePerGas: FALLBACK_PRIORITY_FEE,
      });
    });

    it('refuses a chain without base fees', async () => {
      const chain = chainWith(async (method) => (method === 'eth_maxPriorityFeePerGas' ? '0x1' : {}));
      await expect(chain.fees()).rejects.toThrow(/baseFeePerGas/);
    });
  });

  it('preflight and receipts ask everything at once', async () => {
    const started: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chain = chainWith(async (method) => {
      started.push(method);
      if (started.length === 3) release();
      await gate;
      if (method === 'eth_getCode') return '0x6080';
      if (method === 'eth_getTransactionReceipt') return null;
      return `0x${'0'.repeat(62)}64`; // 100
    });
    expect(await chain.preflight(SIGNER, TOKEN, 100n)).toEqual({ ok: true, available: 100n });
    expect(started.sort()).toEqual(['eth_call', 'eth_call', 'eth_getCode']);
    started.length = 0;
    expect((await chain.receipts(['0x1', '0x2', '0x3'])).size).toBe(0);
    expect(started).toEqual([
      'eth_getTransactionReceipt',
      'eth_getTransactionReceipt',
      'eth_getTransactionReceipt',
    ]);
  });

  it('signs only for its own keys', async () => {
    const chain = chainWith(async () => null);
    await expect(chain.signNoop(TOKEN, 0, FEES)).rejects.toThrow(/no key for signer/);
  });
});
