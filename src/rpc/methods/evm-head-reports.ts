/** EVM answers that reveal the upstream's head block, learned for free (`reportsHead`). */
import type { RpcRequest } from '../types.js';

/** `eth_blockNumber`'s quantity. */
export function hexToNumber(value: unknown): number | undefined {
  if (typeof value !== 'string' || !value.startsWith('0x')) return undefined;
  const parsed = Number.parseInt(value, 16);
  return Number.isSafeInteger(parsed) ? parsed : undefined;
}

/** `eth_getBlockByNumber("latest")` names the head; any other block number says nothing about it. */
export function latestBlockNumber(result: unknown, request: RpcRequest): number | undefined {
  const params = request.params;
  if (!Array.isArray(params) || params[0] !== 'latest') return undefined;
  if (result === null || typeof result !== 'object') return undefined;
  return hexToNumber((result as { number?: unknown }).number);
}

/** The block a transaction or receipt was included in (null while pending: undefined). */
export function includedBlock(result: unknown): number | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  return hexToNumber((result as { blockNumber?: unknown }).blockNumber);
}
