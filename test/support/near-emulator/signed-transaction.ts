/**
 * Decodes and verifies a signed transaction with NEAR's own code (@near-js borsh schema and
 * ed25519), so the bytes a client built are checked by the official serialisation. The hash is
 * sha256 of the borsh-encoded inner transaction, as nearcore computes it.
 */
import { createHash } from 'node:crypto';
import { PublicKey } from '@near-js/crypto';
import { decodeSignedTransaction, encodeTransaction } from '@near-js/transactions';
import { baseEncode } from '@near-js/utils';
import { invalidTransaction, requestError } from './near-errors.js';

/** One action in the emulator's terms (deposits and gas as bigint, keys as `ed25519:…`). */
export type EmulatedAction =
  | { readonly kind: 'CreateAccount' }
  | { readonly kind: 'Transfer'; readonly deposit: bigint }
  | {
      readonly kind: 'FunctionCall';
      readonly methodName: string;
      readonly args: Buffer;
      readonly gas: bigint;
      readonly deposit: bigint;
    }
  | {
      readonly kind: 'AddKey';
      readonly publicKey: string;
      readonly fullAccess: boolean;
      readonly receiverId: string;
      readonly methodNames: readonly string[];
    }
  | { readonly kind: 'DeleteKey'; readonly publicKey: string }
  | { readonly kind: 'Other'; readonly name: string };

export interface VerifiedTransaction {
  readonly hash: string;
  /** The signed bytes as received (a rebroadcast sends exactly these). */
  readonly bytes: Buffer;
  readonly signerId: string;
  readonly publicKey: string;
  readonly nonce: bigint;
  readonly receiverId: string;
  readonly blockHash: string;
  readonly actions: readonly EmulatedAction[];
  readonly signature: string;
}

export function decodeAndVerify(base64: unknown): VerifiedTransaction {
  if (typeof base64 !== 'string' || base64.length === 0)
    throw requestError(
      'PARSE_ERROR',
      { error_message: 'expected a base64 signed transaction' },
      'missing signed_tx_base64',
    );
  const bytes = Buffer.from(base64, 'base64');
  let decoded: ReturnType<typeof decodeSignedTransaction>;
  try {
    decoded = decodeSignedTransaction(bytes);
  } catch (err) {
    throw requestError(
      'PARSE_ERROR',
      { error_message: `Failed to decode transaction: ${(err as Error).message}` },
      `Failed to decode transaction: ${(err as Error).message}`,
    );
  }
  const tx = decoded.transaction;
  const message = encodeTransaction(tx);
  const hashBytes = createHash('sha256').update(message).digest();
  const publicKey = keyText(tx.publicKey);
  const signatureData = (decoded.signature as unknown as { ed25519Signature?: { data: Uint8Array } })
    .ed25519Signature?.data;
  if (
    signatureData === undefined ||
    !PublicKey.from(publicKey).verify(hashBytes, Uint8Array.from(signatureData))
  )
    throw invalidTransaction('InvalidSignature');
  return {
    hash: baseEncode(hashBytes),
    bytes,
    signerId: tx.signerId,
    publicKey,
    nonce: BigInt(tx.nonce),
    receiverId: tx.receiverId,
    blockHash: baseEncode(Uint8Array.from(tx.blockHash)),
    actions: tx.actions.map(toAction),
    signature: `ed25519:${baseEncode(Uint8Array.from(signatureData))}`,
  };
}

/** `{ ed25519Key: { data } }` (the borsh enum) as `ed25519:<base58>`. */
function keyText(key: unknown): string {
  const data = (key as { ed25519Key?: { data: Uint8Array } }).ed25519Key?.data;
  if (data === undefined) throw invalidTransaction('InvalidSignature');
  return `ed25519:${baseEncode(Uint8Array.from(data))}`;
}

function toAction(action: unknown): EmulatedAction {
  const value = action as Record<string, Record<string, unknown> | undefined>;
  if (value.createAccount !== undefined) return { kind: 'CreateAccount' };
  if (value.transfer !== undefined)
    return { kind: 'Transfer', deposit: BigInt(value.transfer.deposit as bigint) };
  const call = value.functionCall;
  if (call !== undefined)
    return {
      kind: 'FunctionCall',
      methodName: String(call.methodName),
      args: Buffer.from(call.args as Uint8Array),
      gas: BigInt(call.gas as bigint),
      deposit: BigInt(call.deposit as bigint),
    };
  const add = value.addKey;
  if (add !== undefined) {
    const permission = (add.accessKey as { permission: Record<string, Record<string, unknown> | undefined> })
      .permission;
    const functionCall = permission.functionCall;
    return {
      kind: 'AddKey',
      publicKey: keyText(add.publicKey),
      fullAccess: functionCall === undefined,
      receiverId: String(functionCall?.receiverId ?? ''),
      methodNames: (functionCall?.methodNames as string[] | undefined) ?? [],
    };
  }
  if (value.deleteKey !== undefined)
    return { kind: 'DeleteKey', publicKey: keyText(value.deleteKey.publicKey) };
  return { kind: 'Other', name: Object.keys(value)[0] ?? 'unknown' };
}

/** The action as nearcore's JSON views write it. */
export function actionView(action: EmulatedAction): unknown {
  switch (action.kind) {
    case 'CreateAccount':
      return 'CreateAccount';
    case 'Transfer':
      return { Transfer: { deposit: action.deposit.toString() } };
    case 'FunctionCall':
      return {
        FunctionCall: {
          method_name: action.methodName,
          args: action.args.toString('base64'),
          gas: Number(action.gas),
          deposit: action.deposit.toString(),
        },
      };
    case 'AddKey':
      return {
        AddKey: {
          public_key: action.publicKey,
          access_key: {
            nonce: 0,
            permission: action.fullAccess
              ? 'FullAccess'
              : {
                  FunctionCall: {
                    allowance: null,
                    receiver_id: action.receiverId,
                    method_names: action.methodNames,
                  },
                },
          },
        },
      };
    case 'DeleteKey':
      return { DeleteKey: { public_key: action.publicKey } };
    case 'Other':
      return action.name;
  }
}
