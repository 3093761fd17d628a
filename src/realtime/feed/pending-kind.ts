/**
 * What the feed needs to serve `newPendingTransactions` (geth: transaction hashes): the source
 * interface, the check of the subscription's parameters, and the notification of one hash.
 * Best effort, live only, no resume (docs/subscriptions.md).
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { BlockPoint, FeedNotification } from './feed-block.js';

/** Where pending transaction hashes come from (an upstream's WebSocket subscription). */
export interface PendingFeedSource {
  start(): void;
  stop(): void;
}

/** Makes the source; it calls `onHash` with each new hash (0x and 64 hex digits, lowercase). */
export type PendingSourceFactory = (onHash: (hash: string) => void) => PendingFeedSource;

/** Why a `newPendingTransactions` subscription cannot be served, or undefined when it can. */
export function pendingRefusal(
  network: string,
  params: unknown,
  resumeFrom: BlockPoint | undefined,
  source: PendingSourceFactory | undefined,
): GatewayError | undefined {
  if (params === true)
    return new GatewayError(
      'ERR_REALTIME_INVALID_SUBSCRIPTION',
      'newPendingTransactions with full transactions (true) is not served: hashes only',
    );
  if ((params !== undefined && params !== null && params !== false) || resumeFrom !== undefined)
    return new GatewayError(
      'ERR_REALTIME_INVALID_SUBSCRIPTION',
      'newPendingTransactions takes no parameters (and cannot resume)',
    );
  if (source === undefined)
    return new GatewayError(
      'ERR_REALTIME_SUBSCRIPTIONS_UNAVAILABLE',
      `network "${network}" serves no newPendingTransactions: none of its upstreams has a wsUrl`,
    );
  return undefined;
}

/** One hash's notification; the source checked its shape, so its JSON needs no escaping. */
export function pendingNotification(hash: string): FeedNotification {
  return { result: hash as unknown as Record<string, unknown>, json: `"${hash}"` };
}
