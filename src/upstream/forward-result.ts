/**
 * What forwarding one JSON-RPC request to a network's upstreams gives back, and the stage times
 * it adds up. Here, below the cache, because the cache stores and shares these results
 * (network/forward.ts produces them).
 */
import type { GatewayError } from '../errors/gateway-error.js';

export interface ForwardTiming {
  selectMs: number;
  upstreamMs: number;
  attempts: number;
  upstream: string | undefined;
  /** Time in cache lookups and coalescing waits; undefined until a cacheable item is seen. */
  cacheMs: number | undefined;
}

export type ForwardResult =
  /**
   * `rpcError`: the upstream answered with a JSON-RPC error about the request (passed through).
   * `parsed`/`result`: the parsed result, when the body was small enough to be parsed.
   */
  | { ok: true; body: Buffer | string; rpcError: boolean; parsed?: boolean; result?: unknown }
  | { ok: false; error: GatewayError };
