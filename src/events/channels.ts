/**
 * Lifecycle events published on diagnostics_channel. The request path only builds an event
 * object when someone listens (`hasSubscribers`); metrics and logs subscribe from outside.
 */
import diagnostics from 'node:diagnostics_channel';

/**
 * Every event names the network object it belongs to (`owner`): channels are process-wide,
 * and two gateways in one process may both have a network called "eth".
 */
interface Owned {
  owner: object;
}

export interface UpstreamAttemptEvent extends Owned {
  network: string;
  upstream: string;
  method: string;
  /** `ok`, `rpc_error`, `cancelled` or the GatewayError code of the failure. */
  outcome: string;
  /** Why it failed (upstream/failure-reason.ts); undefined unless it failed, cancels excluded. */
  reason: string | undefined;
  durationMs: number;
  hedge: boolean;
}

/** A health probe of one upstream that failed (probes are not upstream attempts). */
export interface ProbeEvent extends Owned {
  network: string;
  upstream: string;
  /** The GatewayError code of the failure. */
  outcome: string;
  reason: string;
}

export interface RetryEvent extends Owned {
  network: string;
  /** The upstream whose answer is being retried elsewhere (the one retried away from). */
  upstream: string;
  method: string;
  reason: string;
}

export interface HedgeEvent extends Owned {
  network: string;
  /** The upstream the hedge was sent to (so for `won`, the winner). */
  upstream: string;
  /** `started`, then `won` when the hedge answered first. */
  phase: 'started' | 'won';
}

export interface BreakerEvent extends Owned {
  network: string;
  upstream: string;
  state: 'closed' | 'open' | 'half-open';
  /** When it opened: why the latest failure failed (for a shared change, the reporter's reason). */
  reason: string | undefined;
  /** Learned from another cluster worker rather than from this process's own calls. */
  shared: boolean;
}

export interface RequestEndEvent extends Owned {
  network: string;
  method: string;
  /** `ok`, `rpc_error`, or an error code. */
  outcome: string;
  durationMs: number;
}

/**
 * One HTTP JSON-RPC request's stage durations (the `Server-Timing` stages), milliseconds, when
 * its answer is written. `timing` is the request's own accumulator, passed as is (no copy).
 */
export interface StagesEvent extends Owned {
  network: string;
  timing: StageDurations;
  totalMs: number;
}

/** The stages of network/stage-timing.ts; auth and cache are undefined when they did not run. */
export interface StageDurations {
  readonly readMs: number;
  readonly parseMs: number;
  readonly authMs: number | undefined;
  readonly cacheMs: number | undefined;
  readonly selectMs: number;
  readonly upstreamMs: number;
  /** Answered by the known-shape fast path: no parse, select or upstream stage. */
  readonly knownHit: boolean;
}

/**
 * One block fanned out by a network's subscription feed (realtime/feed), for tracing where
 * delivery time goes (`npm run bench:ws` records it). Times are epoch milliseconds
 * (`performance.timeOrigin + performance.now()`), comparable across processes of one machine.
 */
export interface FeedBlockEvent {
  network: string;
  number: number;
  /** The chain tracker's step that showed the block arrived. */
  seenAt: number;
  /** Its header and logs were loaded: the fan-out to the sockets began. */
  loadedAt: number;
  /** Every notification was handed to its socket (corked, not yet written). */
  handedAt: number;
  /** The sockets' corked writes had gone to the kernel (the next turn of the event loop). */
  writtenAt: number;
  /** Notifications of the block. */
  notifications: number;
}

export const upstreamAttemptChannel = diagnostics.channel('turnpike:upstream:attempt');
export const retryChannel = diagnostics.channel('turnpike:retry');
export const hedgeChannel = diagnostics.channel('turnpike:hedge');
export const breakerChannel = diagnostics.channel('turnpike:breaker');
export const probeChannel = diagnostics.channel('turnpike:upstream:probe');
export const requestEndChannel = diagnostics.channel('turnpike:request:end');
export const stagesChannel = diagnostics.channel('turnpike:request:stages');
export const feedBlockChannel = diagnostics.channel('turnpike:realtime:feed-block');
