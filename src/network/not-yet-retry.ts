/**
 * "Not yet" answers retried before the client sees them: when an upstream answers `null`, an
 * empty log range above its head or "header not found" (not-yet.ts), the request goes to an
 * upstream whose known head covers it (else one known to be ahead of the one that answered),
 * within what is left of the deadline. When there is none, or the retry fails, the first answer
 * passes through unchanged.
 */
import type { NotYetRetryConfig } from '../config/late-reads-schema.js';
import { retryChannel } from '../events/channels.js';
import { ruleFor } from '../rpc/methods/rules.js';
import type { RpcRequest } from '../rpc/types.js';
import type { ForwardResult, ForwardTiming } from '../upstream/forward-result.js';
import type { Upstream } from '../upstream/upstream.js';
import { runAttempt } from './attempt.js';
import type { ForwardContext } from './forward.js';
import { FINAL, NOT_YET_CHECKS } from './not-yet.js';

/** The `reason` of the retry event (metric `turnpike_retries_total`) of a "not yet" retry. */
export const NOT_YET_REASON = 'not_yet';

export class NotYetRetry {
  constructor(
    private readonly ctx: ForwardContext,
    private readonly config: NotYetRetryConfig,
  ) {}

  /** Whether answers of `method` can be "not yet" (the others skip this stage entirely). */
  watches(method: string): boolean {
    return NOT_YET_CHECKS.has(method);
  }

  /** The forwarded answer, or a covering upstream's when the first was "not yet". */
  async settle(
    pending: Promise<ForwardResult>,
    request: RpcRequest,
    body: Buffer | string,
    timing: ForwardTiming,
    startedAt: number,
  ): Promise<ForwardResult> {
    let result = await pending;
    if (!result.ok) return result;
    const check = NOT_YET_CHECKS.get(request.method)!;
    const { failsafe } = this.ctx;
    const deadline = startedAt + failsafe.deadlineMs;
    let tried: Set<Upstream> | undefined;
    for (let retry = 0; retry < this.config.maxRetries; retry++) {
      const answering = this.byId(timing.upstream);
      const need = check(request.params, result, answering?.head ?? -1);
      if (need === FINAL) return result;
      tried ??= new Set();
      if (answering !== undefined) tried.add(answering);
      // Known heads trail the real ones by up to a probe interval: when none is known to cover
      // the request, one known to be ahead of the upstream that answered is the next best.
      const next =
        coveringUpstream(this.ctx.upstreams, tried, need) ??
        coveringUpstream(this.ctx.upstreams, tried, (answering?.head ?? -1) + 1);
      const remaining = deadline - performance.now();
      if (next === undefined || remaining <= 0 || !next.breaker.tryAcquire()) return result;
      tried.add(next);
      if (retryChannel.hasSubscribers)
        retryChannel.publish({
          owner: this.ctx.owner,
          network: this.ctx.network,
          // Always set here (the answer came from an upstream); the fallback only satisfies the type.
          upstream: timing.upstream ?? 'unknown',
          method: request.method,
          reason: NOT_YET_REASON,
        });
      timing.attempts++;
      const started = performance.now();
      const timeoutMs = Math.max(1, Math.min(failsafe.attemptTimeoutMs, remaining));
      const attempt = await runAttempt(next, { method: request.method, body }, timeoutMs, false);
      timing.upstreamMs += performance.now() - started;
      // A failed retry leaves the first answer standing: it is true, only late.
      if (!attempt.ok) return result;
      timing.upstream = next.id;
      const { outcome } = attempt;
      if (outcome.kind === 'result') {
        if (outcome.parsed) this.ctx.onResult(next, ruleFor(request.method), outcome.result, request);
        result = {
          ok: true,
          body: attempt.body,
          rpcError: false,
          parsed: outcome.parsed,
          result: outcome.result,
        };
      } else result = { ok: true, body: attempt.body, rpcError: true };
    }
    return result;
  }

  private byId(id: string | undefined): Upstream | undefined {
    if (id === undefined) return undefined;
    for (const upstream of this.ctx.upstreams) if (upstream.id === id) return upstream;
    return undefined;
  }
}

/** The best-scored available upstream not tried yet whose known head is at least `need`. */
export function coveringUpstream(
  upstreams: readonly Upstream[],
  tried: ReadonlySet<Upstream>,
  need: number,
): Upstream | undefined {
  let best: Upstream | undefined;
  for (const upstream of upstreams) {
    if (upstream.head < need || tried.has(upstream) || !upstream.isAvailable()) continue;
    if (best === undefined || better(upstream, best)) best = upstream;
  }
  return best;
}

/** Primaries before fallbacks, then the lower score. */
function better(a: Upstream, b: Upstream): boolean {
  if (a.tier !== b.tier) return a.tier === 'primary';
  return a.score() < b.score();
}
