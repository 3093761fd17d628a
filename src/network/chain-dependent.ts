/**
 * Whether an EVM request's caching depends on the chain (the head, finality, block hashes), so
 * that it must start the chain tracker (network.ts).
 */
import { METHOD_SPECS } from '../cache/policy-methods.js';
import type { RpcRequest } from '../rpc/types.js';

const TIP_TAGS = new Set(['latest', 'pending', 'safe', 'finalized']);

/**
 * Whether caching this request needs to know the head, finality or block hashes. Reads at
 * `latest` (the bulk of traffic) do not when tip caching is off, so they never start the
 * tracker's polling.
 */
export function chainDependent(request: RpcRequest, tipTtlMs: number): boolean {
  const spec = METHOD_SPECS.get(request.method);
  if (spec === undefined || spec.kind === 'static') return false;
  if (spec.kind === 'block-hash' || spec.kind === 'tx') return true;
  const params = Array.isArray(request.params) ? (request.params as unknown[]) : [];
  if (spec.kind === 'logs') {
    const filter = params[0] as { blockHash?: unknown; fromBlock?: unknown; toBlock?: unknown } | undefined;
    if (filter === undefined || filter === null || typeof filter !== 'object') return false;
    if (filter.blockHash !== undefined) return true;
    return !(isTip(filter.fromBlock) && isTip(filter.toBlock)) || tipTtlMs > 0;
  }
  const ref = params[spec.index ?? 0];
  return !isTip(ref) || tipTtlMs > 0;
}

/** A missing block parameter means `latest`. */
function isTip(ref: unknown): boolean {
  return ref === undefined || (typeof ref === 'string' && TIP_TAGS.has(ref));
}
