/** One attempt against one upstream: send, classify, and keep the upstream's signals current. */
import type { GatewayError } from '../errors/gateway-error.js';
import { type UpstreamAttemptEvent, upstreamAttemptChannel } from '../events/channels.js';
import { type AttemptControl, startAttempt } from '../failsafe/timeout.js';
import { classifyResponse, type UpstreamOutcome } from '../upstream/classify-response.js';
import { failureReason } from '../upstream/failure-reason.js';
import type { Upstream } from '../upstream/upstream.js';

export type AttemptResult =
  | {
      readonly ok: true;
      readonly upstream: Upstream;
      readonly body: Buffer;
      readonly outcome: Exclude<UpstreamOutcome, { kind: 'failure' }>;
      readonly durationMs: number;
    }
  | {
      readonly ok: false;
      readonly upstream: Upstream;
      readonly error: GatewayError;
      readonly cancelled: boolean;
    };

export interface AttemptRequest {
  readonly method: string;
  readonly body: Buffer | string;
}

export async function runAttempt(
  upstream: Upstream,
  request: AttemptRequest,
  timeoutMs: number,
  hedge: boolean,
  control: AttemptControl = startAttempt(timeoutMs),
): Promise<AttemptResult> {
  const started = performance.now();
  let result: AttemptResult;
  try {
    const reply = await upstream.dispatch(request.body, control);
    const outcome = classifyResponse(reply.status, reply.body, upstream.id);
    const durationMs = performance.now() - started;
    if (outcome.kind === 'failure') {
      upstream.lastFailure = failureReason(outcome.error);
      upstream.breaker.recordFailure();
      upstream.latency.penalize(durationMs * 2);
      result = { ok: false, upstream, error: outcome.error, cancelled: false };
    } else {
      upstream.breaker.recordSuccess();
      upstream.latency.record(durationMs);
      result = { ok: true, upstream, body: reply.body, outcome, durationMs };
    }
  } catch (err) {
    const error = upstream.transportError(err, control);
    const cancelled = control.signal.aborted && !control.timedOut;
    if (cancelled || error.code === 'ERR_UPSTREAM_RESPONSE_TOO_LARGE') {
      // Neither is the upstream's fault: a cancel is ours, an oversized answer is the request's.
      upstream.breaker.release();
      // A hedge loser took at least this long; without it ranking never learns that an
      // upstream turned slow (its attempts only ever end cancelled) and keeps picking it first.
      upstream.latency.penalize(performance.now() - started);
    } else {
      upstream.lastFailure = failureReason(error);
      upstream.breaker.recordFailure();
      upstream.latency.penalize(Math.max(performance.now() - started, upstream.latency.ewmaMs) * 2);
    }
    result = { ok: false, upstream, error, cancelled };
  } finally {
    control.done();
  }
  if (upstreamAttemptChannel.hasSubscribers) {
    const event: UpstreamAttemptEvent = {
      owner: upstream.owner,
      network: upstream.network,
      upstream: upstream.id,
      method: request.method,
      outcome: attemptOutcome(result),
      reason: result.ok || result.cancelled ? undefined : failureReason(result.error),
      durationMs: performance.now() - started,
      hedge,
    };
    upstreamAttemptChannel.publish(event);
  }
  return result;
}

function attemptOutcome(result: AttemptResult): string {
  if (result.ok) return result.outcome.kind === 'rpc-error' ? 'rpc_error' : 'ok';
  return result.cancelled ? 'cancelled' : result.error.code;
}
