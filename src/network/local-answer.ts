/**
 * Methods a network answers without an upstream: the chain id from config (when configured), the
 * head from the chain tracker (when fresh and the request's route allows it).
 */
import type { CachedResult } from '../cache/network-cache.js';
import type { LocalAnswer } from '../rpc/methods/method-table.js';
import { resultResponse } from '../rpc/serialize.js';
import type { RpcRequest } from '../rpc/types.js';
import type { ChainId } from '../upstream/health-probes.js';
import type { RequestRoute } from '../upstream/request-route.js';

/** Undefined sends the request on. `head` is the tracker's fresh head (undefined when not fresh). */
export function answerLocally(
  local: LocalAnswer,
  request: RpcRequest,
  route: RequestRoute | undefined,
  chainId: ChainId | undefined,
  head: number | undefined,
): CachedResult | undefined {
  if (local === 'chain-id') {
    if (chainId === undefined) return undefined;
    return {
      ok: true,
      body: resultResponse(request.id ?? null, `0x${chainId.toString(16)}`),
      rpcError: false,
    };
  }
  if (head === undefined) return undefined;
  // A session's mark above the tracker's head, or a client's directive: ask an upstream.
  if (route !== undefined && (route.skipCache || !localHeadFits(route, head))) return undefined;
  return {
    ok: true,
    body: resultResponse(request.id ?? null, `0x${head.toString(16)}`),
    rpcError: false,
    cache: 'HIT',
  };
}

function localHeadFits(route: RequestRoute, head: number): boolean {
  return route.only === undefined && route.maxLag < 0 && head >= route.minBlock && head >= route.minHead;
}
