/**
 * The NEAR RPC emulator itself: answers validate against the official schemas, and the
 * transaction rules NEAR enforces (nonces, permissions, validity window, 1 yoctoNEAR deposit,
 * gas limits, NEP-141 balances, NEP-145 registration, atomic batches) are enforced here too.
 */
import { KeyPair } from '@near-js/crypto';
import {
  AccessKeyViewSchema,
  AccountViewSchema,
  RpcBlockResponseSchema,
  RpcChunkResponseSchema,
  RpcErrorSchema,
  RpcGasPriceResponseSchema,
  RpcStatusResponseSchema,
  RpcTransactionResponseSchema,
  RpcValidatorResponseSchema,
} from '@near-js/jsonrpc-types';
import { actionCreators } from '@near-js/transactions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NearEmulator, startNearEmulator } from './support/near-emulator/near-emulator.js';
import { schemaIssues } from './support/near-emulator/near-schemas.js';
import {
  ftTransfer,
  nearCall,
  nearResult,
  signedTransactionBase64,
  storageDeposit,
  viewArgs,
  viewResult,
} from './support/near-emulator/near-test-client.js';

const NEAR = 10n ** 24n;
let emulator: NearEmulator;
let url: string;
const relayerKey = KeyPair.fromRandom('ed25519');
const callKey = KeyPair.fromRandom('ed25519');
let nonce: bigint;

beforeAll(async () => {
  emulator = await startNearEmulator({ blockMs: 50, validityBlocks: 20 });
  const { state } = emulator.chain;
  state.addAccount('relayer.test', 100n * NEAR, [relayerKey.getPublicKey().toString()], 1);
  state.addKey(
    'relayer.test',
    callKey.getPublicKey().toString(),
    { receiverId: 'token.test', methodNames: ['ft_transfer'] },
    1,
  );
  state.addAccount('alice.test', NEAR, [], 1);
  state.addAccount('bob.test', NEAR, [], 1);
  const token = state.addToken('token.test', 'relayer.test', 1_000_000n);
  token.balances.set('alice.test', 0n);
  url = emulator.nodes[0]!.url;
  nonce = 1_000_000n;
});

afterAll(() => emulator.close());

async function recentHash(): Promise<string> {
  const block = await nearResult<{ header: { hash: string } }>(url, 'block', { finality: 'final' });
  return block.header.hash;
}

async function send(
  actions: ReturnType<typeof ftTransfer>[],
  options: { key?: KeyPair; nonce?: bigint; blockHash?: string; wait?: string } = {},
) {
  nonce += 1n;
  const base64 = signedTransactionBase64({
    signerId: 'relayer.test',
    keyPair: options.key ?? relayerKey,
    nonce: options.nonce ?? nonce,
    receiverId: 'token.test',
    actions,
    blockHash: options.blockHash ?? (await recentHash()),
  });
  return {
    base64,
    answer: await nearCall(url, 'send_tx', { signed_tx_base64: base64, wait_until: options.wait ?? 'FINAL' }),
  };
}

async function balanceOf(account: string): Promise<string> {
  const result = await nearResult(url, 'query', {
    request_type: 'call_function',
    finality: 'optimistic',
    account_id: 'token.test',
    method_name: 'ft_balance_of',
    args_base64: viewArgs({ account_id: account }),
  });
  return viewResult(result) as string;
}

describe('NEAR emulator', () => {
  it('answers status, block, chunk, gas_price, validators and queries in the official shapes', async () => {
    expect(schemaIssues(RpcStatusResponseSchema, await nearResult(url, 'status', []))).toEqual([]);
    const block = await nearResult<{ header: { height: number; hash: string } }>(url, 'block', {
      finality: 'optimistic',
    });
    expect(schemaIssues(RpcBlockResponseSchema, block)).toEqual([]);
    expect(schemaIssues(RpcBlockResponseSchema, { author: 1, header: {} })).not.toEqual([]);
    const byHeight = await nearResult<{ header: { hash: string } }>(url, 'block', {
      block_id: block.header.height,
    });
    expect(byHeight.header.hash).toBe(block.header.hash);
    expect(block.header.hash).toMatch(/^[1-9A-HJ-NP-Za-km-z]{43,44}$/);
    const final = await nearResult<{ header: { height: number } }>(url, 'block', { finality: 'final' });
    expect(final.header.height).toBeLessThan(block.header.height + 1);
    expect(
      schemaIssues(RpcChunkResponseSchema, await nearResult(url, 'chunk', { block_id: block.header.hash })),
    ).toEqual([]);
    expect(schemaIssues(RpcGasPriceResponseSchema, await nearResult(url, 'gas_price', [null]))).toEqual([]);
    expect(schemaIssues(RpcValidatorResponseSchema, await nearResult(url, 'validators', [null]))).toEqual([]);
    const account = await nearResult(url, 'query', {
      request_type: 'view_account',
      finality: 'final',
      account_id: 'relayer.test',
    });
    expect(schemaIssues(AccountViewSchema, account)).toEqual([]);
    const key = await nearResult(url, 'query', {
      request_type: 'view_access_key',
      finality: 'final',
      account_id: 'relayer.test',
      public_key: relayerKey.getPublicKey().toString(),
    });
    expect(schemaIssues(AccessKeyViewSchema, key)).toEqual([]);
    const unknown = await nearCall(url, 'block', { block_id: 99_999_999 });
    expect(unknown.error?.cause?.name).toBe('UNKNOWN_BLOCK');
    expect(schemaIssues(RpcErrorSchema, unknown.error)).toEqual([]);
    const notFound = await nearCall(url, 'no_such_method', []);
    expect(notFound.error?.cause?.name).toBe('METHOD_NOT_FOUND');
    expect(schemaIssues(RpcErrorSchema, notFound.error)).toEqual([]);
  });

  it('transfers tokens with ft_transfer and settles the outcome over the next blocks', async () => {
    const { answer } = await send([ftTransfer('alice.test', '250', 'invoice 7')]);
    expect(answer.error).toBeUndefined();
    expect(schemaIssues(RpcTransactionResponseSchema, answer.result)).toEqual([]);
    const result = answer.result as {
      status: unknown;
      final_execution_status: string;
      receipts_outcome: Array<{ outcome: { logs: string[] } }>;
      transaction: { hash: string };
    };
    expect(result.final_execution_status).toBe('FINAL');
    expect(result.status).toEqual({ SuccessValue: '' });
    expect(result.receipts_outcome[0]!.outcome.logs.join('\n')).toContain('"memo":"invoice 7"');
    expect(await balanceOf('alice.test')).toBe('250');
    const status = await nearResult<{ final_execution_status: string }>(url, 'EXPERIMENTAL_tx_status', {
      tx_hash: result.transaction.hash,
      sender_account_id: 'relayer.test',
      wait_until: 'FINAL',
    });
    expect(schemaIssues(RpcTransactionResponseSchema, status)).toEqual([]);
  });

  it('answers NONE at once and the same transaction again for the same bytes', async () => {
    const { base64, answer } = await send([ftTransfer('alice.test', '1')], { wait: 'NONE' });
    expect(answer.result).toEqual({ final_execution_status: 'NONE' });
    const again = await nearCall(url, 'broadcast_tx_commit', [base64]);
    expect(again.error).toBeUndefined();
    expect((again.result as { status: unknown }).status).toEqual({ SuccessValue: '' });
  });

  it('refuses a reused nonce, an unknown key, an old block hash and too much gas', async () => {
    await send([ftTransfer('alice.test', '1')]);
    const reused = await send([ftTransfer('alice.test', '1')], { nonce });
    expect(reused.answer.error?.cause?.name).toBe('INVALID_TRANSACTION');
    expect(JSON.stringify(reused.answer.error?.data)).toContain('InvalidNonce');
    const stranger = await send([ftTransfer('alice.test', '1')], { key: KeyPair.fromRandom('ed25519') });
    expect(JSON.stringify(stranger.answer.error?.data)).toContain('AccessKeyNotFound');
    const old = emulator.chain.blocks[0]!.hash;
    await expect.poll(() => emulator.chain.head.height > 25).toBe(true);
    const expired = await send([ftTransfer('alice.test', '1')], { blockHash: old });
    expect(expired.answer.error?.data).toEqual({ TxExecutionError: { InvalidTxError: 'Expired' } });
    expect(schemaIssues(RpcErrorSchema, expired.answer.error)).toEqual([]);
    const heavy = await send([
      ftTransfer('alice.test', '1', undefined, 1n, 200_000_000_000_000n),
      ftTransfer('alice.test', '1', undefined, 1n, 200_000_000_000_000n),
    ]);
    expect(JSON.stringify(heavy.answer.error?.data)).toContain('TotalPrepaidGasExceeded');
  });

  it('holds a function-call key to its receiver, methods and zero deposit', async () => {
    const withDeposit = await send([ftTransfer('alice.test', '1')], { key: callKey });
    expect(JSON.stringify(withDeposit.answer.error?.data)).toContain('DepositWithFunctionCall');
    const batch = await send([actionCreators.transfer(1n)], { key: callKey });
    expect(JSON.stringify(batch.answer.error?.data)).toContain('RequiresFullAccess');
  });

  it('fails a whole batch atomically when one action fails, and requires exactly 1 yoctoNEAR', async () => {
    const before = await balanceOf('alice.test');
    const { answer } = await send([
      ftTransfer('alice.test', '5'),
      ftTransfer('bob.test', '5'),
      ftTransfer('alice.test', '5'),
    ]);
    const result = answer.result as {
      status: { Failure: { ActionError: { index: number; kind: unknown } } };
    };
    expect(result.status.Failure.ActionError.index).toBe(1);
    expect(JSON.stringify(result.status.Failure.ActionError.kind)).toContain(
      'The account bob.test is not registered',
    );
    expect(await balanceOf('alice.test')).toBe(before);
    const noDeposit = await send([ftTransfer('alice.test', '5', undefined, 0n)]);
    expect(JSON.stringify(noDeposit.answer.result)).toContain(
      'Requires attached deposit of exactly 1 yoctoNEAR',
    );
    const registered = await send([storageDeposit('bob.test'), ftTransfer('bob.test', '5')]);
    expect((registered.answer.result as { status: unknown }).status).toEqual({ SuccessValue: '' });
    expect(await balanceOf('bob.test')).toBe('5');
    const storage = await nearResult(url, 'query', {
      request_type: 'call_function',
      finality: 'final',
      account_id: 'token.test',
      method_name: 'storage_balance_of',
      args_base64: viewArgs({ account_id: 'carol.test' }),
    });
    expect(viewResult(storage)).toBeNull();
  });

  it('injects faults: NEAR timeouts, expired transactions, resets', async () => {
    const node = emulator.nodes[0]!;
    node.setFault({ kind: 'timeout-error', methods: ['status'], times: 1 });
    expect((await nearCall(url, 'status', [])).error?.cause?.name).toBe('TIMEOUT_ERROR');
    expect((await nearCall(url, 'status', [])).error).toBeUndefined();
    node.setFault({ kind: 'expired', times: 1 });
    const expired = await send([ftTransfer('alice.test', '1')]);
    expect(expired.answer.error?.data).toEqual({ TxExecutionError: { InvalidTxError: 'Expired' } });
    node.setFault({ kind: 'reset', times: 1 });
    await expect(nearCall(url, 'status', [])).rejects.toThrow();
    node.setFault(null);
  });
});
