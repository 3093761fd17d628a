/** NEAR answers that reveal the upstream's head height, learned for free (`reportsHead`). */
import type { RpcRequest } from '../types.js';

/** `status`: `sync_info.latest_block_height`. */
export function nearStatusHead(result: unknown): number | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  const syncInfo = (result as { sync_info?: { latest_block_height?: unknown } }).sync_info;
  const height = syncInfo?.latest_block_height;
  return typeof height === 'number' && Number.isSafeInteger(height) ? height : undefined;
}

/** `status`: `chain_id` (`mainnet`, `testnet`, …). */
export function nearChainId(result: unknown): string | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  const chainId = (result as { chain_id?: unknown }).chain_id;
  return typeof chainId === 'string' && chainId !== '' ? chainId : undefined;
}

/** `block` at `finality: optimistic` names the head; any other block says nothing about it. */
export function nearBlockHead(result: unknown, request: RpcRequest): number | undefined {
  const params = request.params as { finality?: unknown } | undefined;
  if (params === null || typeof params !== 'object' || params.finality !== 'optimistic') return undefined;
  if (result === null || typeof result !== 'object') return undefined;
  const height = (result as { header?: { height?: unknown } }).header?.height;
  return typeof height === 'number' && Number.isSafeInteger(height) ? height : undefined;
}
