/** What tests need to talk to a NEAR RPC endpoint: JSON-RPC calls and signed transactions built with @near-js. */
import { createHash } from 'node:crypto';
import type { KeyPair } from '@near-js/crypto';
import {
  type Action,
  actionCreators,
  createTransaction,
  encodeTransaction,
  Signature,
  SignedTransaction,
} from '@near-js/transactions';
import { baseDecode } from '@near-js/utils';

export interface NearAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly result?: unknown;
  readonly error?: {
    name?: string;
    cause?: { name?: string; info?: unknown };
    code?: number;
    message?: string;
    data?: unknown;
  };
}

export async function nearCall(
  url: string,
  method: string,
  params: unknown,
  headers: Record<string, string> = {},
): Promise<NearAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 'test', method, params }),
  });
  const text = await response.text();
  const body = JSON.parse(text) as Pick<NearAnswer, 'result' | 'error'>;
  return { status: response.status, headers: response.headers, ...body };
}

/** The result, or a thrown error naming the NEAR error's cause. */
export async function nearResult<T = unknown>(url: string, method: string, params: unknown): Promise<T> {
  const answer = await nearCall(url, method, params);
  if (answer.error !== undefined)
    throw new Error(
      `${method}: ${answer.error.cause?.name ?? answer.error.message} ${JSON.stringify(answer.error.data)}`,
    );
  return answer.result as T;
}

export interface TransactionInput {
  readonly signerId: string;
  readonly keyPair: KeyPair;
  readonly nonce: bigint;
  readonly receiverId: string;
  readonly actions: Action[];
  /** base58 block hash. */
  readonly blockHash: string;
}

/** The signed transaction as base64 (what send_tx takes). */
export function signedTransactionBase64(input: TransactionInput): string {
  const publicKey = input.keyPair.getPublicKey();
  const tx = createTransaction(
    input.signerId,
    publicKey,
    input.receiverId,
    input.nonce,
    input.actions,
    baseDecode(input.blockHash),
  );
  const hash = createHash('sha256').update(encodeTransaction(tx)).digest();
  const { signature } = input.keyPair.sign(hash);
  const signed = new SignedTransaction({
    transaction: tx,
    signature: new Signature({ keyType: publicKey.keyType, data: signature }),
  });
  return Buffer.from(signed.encode()).toString('base64');
}

const TGAS = 1_000_000_000_000n;

export function ftTransfer(
  receiverId: string,
  amount: string,
  memo?: string,
  deposit = 1n,
  gas = 10n * TGAS,
): Action {
  const args: Record<string, string> = { receiver_id: receiverId, amount };
  if (memo !== undefined) args.memo = memo;
  return actionCreators.functionCall('ft_transfer', args, gas, deposit);
}

export function storageDeposit(accountId: string, deposit = 1_250_000_000_000_000_000_000n): Action {
  return actionCreators.functionCall(
    'storage_deposit',
    { account_id: accountId, registration_only: true },
    10n * TGAS,
    deposit,
  );
}

export function viewArgs(args: unknown): string {
  return Buffer.from(JSON.stringify(args)).toString('base64');
}

/** A call_function result's bytes as JSON. */
export function viewResult(result: unknown): unknown {
  const bytes = (result as { result: number[] }).result;
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}
