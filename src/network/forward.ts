/**
 * The failsafe around upstream attempts: total deadline, retries to a different upstream on
 * retryable failures, optional hedging, and method-specific recovery. Returns the response
 * entry bytes for one JSON-RPC request.
 */
import type { FailsafeConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { retryChannel } from '../events/channels.js';
import type { MethodRule } from '../rpc/methods/method-rule.js';
import { resultResponse } from '../rpc/serialize.js';
import type { RpcRequest } from '../rpc/types.js';
import { classifyResponse } from '../upstream/classify-response.js';
import type { ForwardResult, ForwardTiming } from '../upstream/forward-result.js';
import { describeHardLimits, type RequestRoute } from '../upstream/request-route.js';
import { selectRouted } from '../upstream/route-select.js';
import { selectUpstream } from '../upstream/select.js';
import type { Upstream } from '../upstream/upstream.js';
import { type AttemptRequest, type AttemptResult, runAttempt } from './attempt.js';
import { runHedged } from './hedge.js';

export interface ForwardContext {
  readonly network: string;
  /** Tags diagnostics events (see events/channels.ts). */
  readonly owner: object;
  readonly upstreams: readonly Upstream[];
  readonly failsafe: FailsafeConfig;
  /** Called with every successful result so the network can learn heads. */
  readonly onResult: (upstream: Upstream, rule: MethodRule, result: unknown, request: RpcRequest) => void;
}

export interface ForwardOptions {
  /**
   * A JSON-RPC error answer counts as the node's failure and is retried on another upstream.
   * For Turnpike's own reads of data it knows exists (Network.read): there an error answer
   * cannot be about the request, and passing it back would make the caller ask the same node again.
   */
  readonly rpcErrorFails?: boolean;
  /** Consistency limits and preferences of a client request (network/consistency/). */
  readonly route?: RequestRoute | undefined;
}

export async function forward(
  ctx: ForwardContext,
  request: RpcRequest,
  body: Buffer | string,
  rule: MethodRule,
  timing: ForwardTiming,
  options: ForwardOptions = {},
): Promise<ForwardResult> {
  const { failsafe } = ctx;
  const deadline = performance.now() + failsafe.deadlineMs;
  const maxAttempts = rule.retry === false ? 1 : failsafe.retry.maxAttempts;
  const hedging = failsafe.hedge.enabled && rule.hedge;
  const attemptRequest: AttemptRequest = { method: request.method, body };
  const tried = new Set<Upstream>();
  const route = options.route;
  let lastError: GatewayError | undefined;

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const remaining = deadline - performance.now();
    if (remaining <= 0) break;
    const selectStart = performance.now();
    // Prefer an upstream not tried yet; fall back to a tried one rather than give up.
    const upstream =
      route === undefined
        ? (selectUpstream(ctx.upstreams, tried) ?? selectUpstream(ctx.upstreams, undefined))
        : (selectRouted(ctx.upstreams, tried, route) ?? selectRouted(ctx.upstreams, undefined, route));
    timing.selectMs += performance.now() - selectStart;
    if (upstream === undefined || !upstream.breaker.tryAcquire()) {
      lastError ??= noUpstream(ctx, route);
      break;
    }
    tried.add(upstream);
    timing.attempts++;
    const timeoutMs = Math.max(1, Math.min(failsafe.attemptTimeoutMs, remaining));
    const upstreamStart = performance.now();
    const result = hedging
      ? await runHedged(upstream, attemptRequest, {
          minDelayMs: failsafe.hedge.minDelayMs,
          maxDelayMs: failsafe.hedge.maxDelayMs,
          timeoutMs,
          pickSecond: () => {
            if (route?.only !== undefined) return undefined;
            const second =
              route === undefined
                ? selectUpstream(ctx.upstreams, tried)
                : selectRouted(ctx.upstreams, tried, route);
            if (second !== undefined) tried.add(second);
            return second;
          },
        })
      : await runAttempt(upstream, attemptRequest, timeoutMs, false);
    timing.upstreamMs += performance.now() - upstreamStart;
    timing.upstream = result.upstream.id;
    if (route !== undefined) {
      route.attempts?.push(attemptRecord(result, upstreamStart));
      if (result.ok) route.served = result.upstream;
    }

    if (result.ok && (result.outcome.kind === 'result' || options.rpcErrorFails !== true))
      return finish(ctx, request, rule, result, deadline);
    lastError = result.ok ? answeredError(result) : result.error;
    if (lastError.retry === 'none' || attempt === maxAttempts) break;
    if (retryChannel.hasSubscribers) {
      retryChannel.publish({
        owner: ctx.owner,
        network: ctx.network,
        upstream: result.upstream.id,
        method: request.method,
        reason: lastError.code,
      });
    }
    const backoffMs = Math.min(failsafe.retry.backoffMs, deadline - performance.now());
    if (backoffMs > 0) await new Promise((resolve) => setTimeout(resolve, backoffMs));
  }
  if (lastError === undefined || performance.now() >= deadline) {
    lastError = new GatewayError(
      'ERR_DEADLINE_EXCEEDED',
      `no upstream answered within ${failsafe.deadlineMs} ms`,
      {
        cause: lastError,
      },
    );
  }
  return { ok: false, error: lastError };
}

function noUpstream(ctx: ForwardContext, route: RequestRoute | undefined): GatewayError {
  const limits = route === undefined ? '' : describeHardLimits(route);
  if (limits === '')
    return new GatewayError('ERR_NO_UPSTREAM', `no upstream of network ${ctx.network} is available`);
  return new GatewayError(
    'ERR_NO_CONSISTENT_UPSTREAM',
    `no available upstream of network ${ctx.network} meets the request's directives (${limits})`,
  );
}

function attemptRecord(result: AttemptResult, started: number) {
  const outcome = result.ok
    ? result.outcome.kind === 'rpc-error'
      ? 'rpc_error'
      : 'ok'
    : result.cancelled
      ? 'cancelled'
      : result.error.code;
  return { upstream: result.upstream.id, outcome, ms: performance.now() - started };
}

function answeredError(result: Extract<AttemptResult, { ok: true }>): GatewayError {
  const message = result.outcome.kind === 'rpc-error' ? result.outcome.message : '';
  return new GatewayError(
    'ERR_UPSTREAM_NODE_ERROR',
    `upstream ${result.upstream.id} answered an error: ${message}`,
  );
}

/** Synchronous unless the method has a recovery lookup to make (eth_sendRawTransaction). */
function finish(
  ctx: ForwardContext,
  request: RpcRequest,
  rule: MethodRule,
  result: Extract<AttemptResult, { ok: true }>,
  deadline: number,
): ForwardResult | Promise<ForwardResult> {
  const { outcome, upstream } = result;
  if (outcome.kind === 'result') {
    if (outcome.parsed) ctx.onResult(upstream, rule, outcome.result, request);
    return { ok: true, body: result.body, rpcError: false, parsed: outcome.parsed, result: outcome.result };
  }
  if (rule.recover === undefined) return { ok: true, body: result.body, rpcError: true };
  return recover(ctx, request, rule, result, deadline);
}

async function recover(
  ctx: ForwardContext,
  request: RpcRequest,
  rule: MethodRule,
  result: Extract<AttemptResult, { ok: true }>,
  deadline: number,
): Promise<ForwardResult> {
  const { outcome, upstream } = result;
  if (rule.recover !== undefined && outcome.kind === 'rpc-error') {
    const lookup = (method: string, params: unknown[] | Record<string, unknown>) =>
      lookupOn(upstream, method, params, ctx.failsafe, deadline);
    const error = { code: outcome.code, message: outcome.message, body: result.body };
    const recovered = await rule.recover(request, error, lookup);
    if (recovered !== undefined) {
      return { ok: true, body: resultResponse(request.id ?? null, recovered), rpcError: false };
    }
  }
  return { ok: true, body: result.body, rpcError: true };
}

/** A lookup the recovery needs (the transaction by hash), bounded by what is left of the deadline. */
async function lookupOn(
  upstream: Upstream,
  method: string,
  params: unknown[] | Record<string, unknown>,
  failsafe: FailsafeConfig,
  deadline: number,
) {
  const remaining = deadline - performance.now();
  if (remaining <= 0) throw new Error(`no time left for lookup ${method}`);
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
  const reply = await upstream.send(body, Math.max(1, Math.min(failsafe.attemptTimeoutMs, remaining)));
  const outcome = classifyResponse(reply.status, reply.body, upstream.id);
  if (outcome.kind !== 'result') throw new Error(`lookup ${method} failed`);
  return outcome.result;
}
