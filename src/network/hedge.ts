/**
 * Hedged attempt: if the first upstream has not answered by its observed latency quantile,
 * start the same request on a second upstream; the first success wins and the other is aborted.
 */

import { hedgeChannel } from '../events/channels.js';
import { startAttempt } from '../failsafe/timeout.js';
import type { Upstream } from '../upstream/upstream.js';
import { type AttemptRequest, type AttemptResult, runAttempt } from './attempt.js';

export interface HedgeOptions {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
  /** Picks the hedge target, or undefined when no other upstream is available. */
  readonly pickSecond: () => Upstream | undefined;
}

export function hedgeDelay(first: Upstream, minDelayMs: number, maxDelayMs: number): number {
  const quantile = first.latency.quantileMs() ?? maxDelayMs;
  return Math.min(maxDelayMs, Math.max(minDelayMs, quantile));
}

export async function runHedged(
  first: Upstream,
  request: AttemptRequest,
  options: HedgeOptions,
): Promise<AttemptResult> {
  const firstControl = startAttempt(options.timeoutMs);
  const firstAttempt = runAttempt(first, request, options.timeoutMs, false, firstControl);
  const delay = hedgeDelay(first, options.minDelayMs, options.maxDelayMs);
  if (delay >= options.timeoutMs) return firstAttempt;

  let timer: NodeJS.Timeout | undefined;
  const fired = new Promise<'hedge'>((resolve) => {
    timer = setTimeout(resolve, delay, 'hedge');
  });
  const early = await Promise.race([firstAttempt, fired]);
  clearTimeout(timer);
  if (early !== 'hedge') return early;

  const second = options.pickSecond();
  if (second === undefined || !second.breaker.tryAcquire()) return firstAttempt;
  const network = first.network;
  const upstream = second.id;
  if (hedgeChannel.hasSubscribers)
    hedgeChannel.publish({ owner: first.owner, network, upstream, phase: 'started' });
  const secondTimeout = Math.max(1, options.timeoutMs - delay);
  const secondControl = startAttempt(secondTimeout);
  const secondAttempt = runAttempt(second, request, secondTimeout, true, secondControl);

  const winner = await firstSuccess(firstAttempt, secondAttempt);
  if (winner.ok) {
    if (winner.upstream === second) {
      firstControl.abort(new Error('hedge lost'));
      if (hedgeChannel.hasSubscribers)
        hedgeChannel.publish({ owner: first.owner, network, upstream, phase: 'won' });
    } else secondControl.abort(new Error('hedge lost'));
  }
  return winner;
}

/** Resolves with the first successful result, or the last failure when both fail. */
function firstSuccess(a: Promise<AttemptResult>, b: Promise<AttemptResult>): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let failures = 0;
    const settle = (result: AttemptResult) => {
      if (result.ok) resolve(result);
      else if (++failures === 2) resolve(result);
    };
    a.then(settle);
    b.then(settle);
  });
}
