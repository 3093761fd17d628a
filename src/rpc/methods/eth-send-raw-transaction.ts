/**
 * eth_sendRawTransaction's recovery (its table entry makes it an idempotent write: retried, never
 * raced). A retry resends the identical bytes; "already known" means the node has this very
 * transaction, and "nonce too low" counts as success only when the node knows this transaction's hash.
 */
import { keccak256 } from 'viem';
import type { RpcRequest } from '../types.js';
import type { LookupFn, RecoverableError } from './method-rule.js';

const ALREADY_KNOWN = /already known|known transaction|already imported|transaction already exists/i;
const NONCE_TOO_LOW = /nonce too low|nonce has already been used|invalid nonce/i;

export function rawTransactionHash(request: RpcRequest): `0x${string}` | undefined {
  const params = request.params;
  const raw = Array.isArray(params) ? params[0] : undefined;
  if (typeof raw !== 'string' || !/^0x[0-9a-fA-F]*$/.test(raw) || raw.length % 2 !== 0) return undefined;
  return keccak256(raw as `0x${string}`);
}

export async function recoverRawTransaction(
  request: RpcRequest,
  error: RecoverableError,
  lookup: LookupFn,
): Promise<unknown> {
  const hash = rawTransactionHash(request);
  if (hash === undefined) return undefined;
  if (ALREADY_KNOWN.test(error.message)) return hash;
  if (NONCE_TOO_LOW.test(error.message)) {
    const known = await lookup('eth_getTransactionByHash', [hash]).catch(() => null);
    return known !== null && known !== undefined ? hash : undefined;
  }
  return undefined;
}
