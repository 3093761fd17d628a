/**
 * Where one request may go, beyond the usual choice (network/consistency/ builds it): hard
 * limits a client asked for by directive, and soft preferences of its session (monotonic reads,
 * read-your-writes) that fall back to the best upstream there is rather than fail.
 */
import type { Upstream } from './upstream.js';

/** One attempt as `X-Turnpike-Attempts` reports it. */
export interface AttemptRecord {
  readonly upstream: string;
  /** `ok`, `rpc_error`, `cancelled` or the failure's error code. */
  readonly outcome: string;
  readonly ms: number;
}

export interface RequestRoute {
  /** `X-Turnpike-Upstream`: this upstream only (no failover to another). */
  readonly only: Upstream | undefined;
  /** Read-your-writes: the upstream that accepted the transaction, while it is available. */
  readonly prefer: Upstream | undefined;
  /** `X-Turnpike-Min-Block`: known head at or above it, else ERR_NO_CONSISTENT_UPSTREAM. */
  readonly minBlock: number;
  /** The session's high-water mark (and a sent transaction's block): preferred, not required. */
  readonly minHead: number;
  /** `X-Turnpike-Max-Lag`: at most this many blocks behind the highest known head; -1 = any. */
  readonly maxLag: number;
  /** `X-Turnpike-Skip-Cache`, or a session read the cache could answer from an older block. */
  readonly skipCache: boolean;
  /** Where each attempt is written down when the client asked for them; else undefined. */
  readonly attempts: AttemptRecord[] | undefined;
  /** Set by the forward stage: the upstream whose answer the client gets. */
  served: Upstream | undefined;
}

/** Whether the route limits the choice at all (else the usual selection runs). */
export function narrowsChoice(route: RequestRoute): boolean {
  return (
    route.only !== undefined ||
    route.prefer !== undefined ||
    route.minBlock > 0 ||
    route.minHead > 0 ||
    route.maxLag >= 0
  );
}

/** The constraints a client set, for the ERR_NO_CONSISTENT_UPSTREAM message. */
export function describeHardLimits(route: RequestRoute): string {
  const parts: string[] = [];
  if (route.only !== undefined) parts.push(`upstream ${route.only.id}`);
  if (route.minBlock > 0) parts.push(`min block ${route.minBlock}`);
  if (route.maxLag >= 0) parts.push(`max lag ${route.maxLag}`);
  return parts.join(', ');
}
