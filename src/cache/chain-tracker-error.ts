/**
 * What the chain tracker tells its owner through `onError`. These never reach a client (the
 * tracker runs beside the request path), so they are not GatewayError codes: branch on `kind`.
 */

export type ChainTrackerErrorKind =
  /** `fetchBlock` threw; the poll changed nothing. */
  | 'fetch-failed'
  /** The node answered `latest` with null. */
  | 'no-head'
  /** Reads contradicted each other (a block missing below the head, a wrong number, a hash that
   * was replaced and then canonical again); the poll changed nothing and the next one retries. */
  | 'inconsistent'
  /** A reorg went below the oldest height held: blocks older than the window may be orphaned too. */
  | 'deep-reorg'
  /** A reorg replaced a block at or below `finalized`: the node broke its own finality. */
  | 'final-reorg'
  /** The node has no usable `finalized` tag; the tracker uses depth finality from now on. */
  | 'no-finalized-tag'
  /** `onReorg` threw. */
  | 'listener-failed';

export class ChainTrackerError extends Error {
  override readonly name = 'ChainTrackerError';

  constructor(
    readonly kind: ChainTrackerErrorKind,
    readonly network: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
