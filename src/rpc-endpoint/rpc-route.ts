/**
 * POST /{network}: the HTTP around the request pipeline (network/pipeline.ts) — content type,
 * body decoding, parse, batch assembly — and the spec-exact JSON-RPC 2.0 answer.
 */

import { GatewayError } from '../errors/gateway-error.js';
import { clientIp } from '../http/client-ip.js';
import { decodeBody } from '../http/decode-body.js';
import { type HttpRequest, plainBody, type ResponseHeaders, type ResponseWriter } from '../http/exchange.js';
import { type ResponseContext, send, sendError, sendNoContent } from '../http/respond.js';
import type { Logger } from '../logging/logger.js';
import { admitBatch } from '../network/admit-stage.js';
import { authenticate, authenticated } from '../network/auth-stage.js';
import type { Consistency } from '../network/consistency/consistency.js';
import { learnShape, shapeOf } from '../network/known-shape-stage.js';
import type { Network } from '../network/network.js';
import { runItem, runKnownShape } from '../network/pipeline.js';
import type { ItemEntry, PipelineCall } from '../network/pipeline-call.js';
import { failure } from '../network/pipeline-failure.js';
import { finishTiming, StageTiming } from '../network/stage-timing.js';
import { parseBody } from '../rpc/parse.js';
import type { RequestShape } from '../rpc/request-shape.js';
import { joinBatch } from '../rpc/serialize.js';
import type { Access } from '../tenancy/access.js';
import type { Tenancy } from '../tenancy/tenancy.js';

/**
 * JSON media types, plus curl's default for `-d` (x-www-form-urlencoded): the body is JSON
 * either way, and refusing it would fail the most common first request people type.
 */
const JSON_TYPE = /^application\/(?:(?:[\w.+-]*\+)?json|x-www-form-urlencoded)\b/i;

export interface RpcRouteContext extends ResponseContext {
  /** Set when keys, plans or keyless rate limits are in force. */
  readonly tenancy: () => Tenancy | undefined;
  /** `server.trustedProxies` as a set. */
  readonly trustedProxies: ReadonlySet<string>;
  /** Where every ERR_INTERNAL is logged with its stack. */
  readonly log: Logger;
  /** Sessions and directives (`consistency.enabled`), else undefined. */
  readonly consistency?: Consistency | undefined;
}

/**
 * Answers one JSON-RPC POST. A repeat of a request seen with a final plan is answered from the
 * in-process tier synchronously (no promise per hit); anything else returns the promise of the
 * usual path.
 */
export function handleRpc(
  ctx: RpcRouteContext,
  network: Network,
  req: HttpRequest,
  res: ResponseWriter,
  headers: ResponseHeaders,
  path: string,
): Promise<void> | undefined {
  const started = req.receivedAt;
  const contentType = req.headers['content-type'];
  if (
    contentType !== undefined &&
    contentType !== '' &&
    contentType !== 'application/json' &&
    !JSON_TYPE.test(contentType)
  ) {
    sendError(
      ctx,
      req,
      res,
      new GatewayError('ERR_UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Type: ${contentType}`),
      null,
      headers,
    );
    return undefined;
  }
  const timing = new StageTiming();
  const request: RpcRequestContext = {
    ctx,
    network,
    req,
    res,
    headers,
    timing,
    started,
    access: undefined,
    log: ctx.log,
    requestId: headers['x-request-id'],
    consistency: undefined,
  };
  try {
    const tenancy = ctx.tenancy();
    if (tenancy !== undefined) {
      const authStarted = performance.now();
      const ip = clientIp(req, ctx.trustedProxies);
      const pending = authenticate(request, tenancy, path, req.headers, ip, authStarted);
      if (pending !== undefined) return authenticatedLater(request, pending, authStarted);
    }
    return withBody(request);
  } catch (err) {
    answerFailure(request, err);
    return undefined;
  }
}

/** What one JSON-RPC POST carries: the pipeline's call plus its HTTP exchange. */
interface RpcRequestContext extends PipelineCall {
  readonly ctx: RpcRouteContext;
  readonly req: HttpRequest;
  readonly res: ResponseWriter;
  readonly headers: ResponseHeaders;
  readonly started: number;
}

async function authenticatedLater(
  request: RpcRequestContext,
  pending: Promise<Access | GatewayError>,
  authStarted: number,
): Promise<void> {
  try {
    authenticated(request, await pending, authStarted);
    await withBody(request);
  } catch (err) {
    answerFailure(request, err);
  }
}

/** Past authentication: the body as sent, or decoded first. */
function withBody(request: RpcRequestContext): Promise<void> | undefined {
  const { req } = request;
  const consistency = request.ctx.consistency;
  if (consistency !== undefined) openConsistency(request, consistency);
  return req.headers['content-encoding'] === undefined ? answerPlain(request, req.body) : readBody(request);
}

/** The session and directives of the request (throws a directive's refusal). */
function openConsistency(request: RpcRequestContext, consistency: Consistency): void {
  const { req, ctx, access } = request;
  const ip = access?.entry === undefined ? clientIp(req, ctx.trustedProxies) : undefined;
  request.consistency = consistency.open(request.network, req.headers, access, ip);
}

async function readBody(request: RpcRequestContext): Promise<void> {
  try {
    const { req, ctx } = request;
    const body = await decodeBody(req.body, req.headers['content-encoding']!, ctx.config.maxBodyBytes);
    await answerPlain(request, body);
  } catch (err) {
    answerFailure(request, err);
  }
}

/** The body, decoded: a known shape's hit synchronously, else the usual path's promise. */
function answerPlain(request: RpcRequestContext, body: Buffer): Promise<void> | undefined {
  const parsedAt = performance.now();
  request.timing.readMs = parsedAt - request.started;
  // A repeat of a request seen with a final plan: no JSON.parse, no planning (request-shape.ts).
  const shape = request.consistency?.skipsCache === true ? undefined : shapeOf(request.network, body);
  const entry = shape === undefined ? undefined : runKnownShape(request, shape, parsedAt);
  if (entry === undefined) return usualPath(request, body, shape, parsedAt);
  if (entry instanceof Promise)
    return entry.then(
      (settled) => answer(request, [settled], false),
      (err: unknown) => answerFailure(request, err),
    );
  answer(request, [entry], false);
  return undefined;
}

async function usualPath(
  request: RpcRequestContext,
  body: Buffer,
  shape: RequestShape | undefined,
  parsedAt: number,
): Promise<void> {
  const { network, timing } = request;
  let entries: ItemEntry[];
  let batch: boolean;
  try {
    const parsed = parseBody(body, { maxBatchSize: request.ctx.config.maxBatchSize });
    timing.parseMs = performance.now() - parsedAt;
    if (parsed.kind === 'single') {
      batch = false;
      const entry = await runItem(request, parsed.item);
      entries = [entry];
      if (parsed.item.ok) learnShape(network, body, shape, entry, parsed.item.request.method);
    } else {
      batch = true;
      admitBatch(request.access, parsed.items);
      entries = await Promise.all(parsed.items.map((item) => runItem(request, item)));
    }
  } catch (err) {
    answerFailure(request, err);
    return;
  }
  answer(request, entries, batch);
}

function answerFailure(request: RpcRequestContext, err: unknown): void {
  const { ctx, req, res, headers } = request;
  const error = failure(request, err);
  if (error.code === 'ERR_BODY_TOO_LARGE') headers.connection = 'close';
  if (error.httpStatus === 401) headers['www-authenticate'] = 'Bearer realm="turnpike"';
  const serverTiming = finishTiming(
    request.network,
    request.timing,
    request.started,
    ctx.config.serverTiming,
  );
  if (serverTiming !== undefined) headers['server-timing'] = serverTiming;
  sendError(ctx, req, res, error, null, headers);
}

function answer(request: RpcRequestContext, entries: readonly ItemEntry[], batch: boolean): void {
  const { ctx, req, res, headers, timing } = request;
  request.access?.writeHeaders(headers);
  request.consistency?.writeHeaders(headers);
  const cacheHeader = xCache(entries, batch);
  if (cacheHeader !== undefined) headers['x-cache'] = cacheHeader;
  const serverTiming = finishTiming(request.network, timing, request.started, ctx.config.serverTiming);
  if (serverTiming !== undefined) headers['server-timing'] = serverTiming;
  if (ctx.config.exposeUpstream && timing.upstream !== undefined)
    headers['x-turnpike-upstream'] = timing.upstream;
  if (!batch) {
    const entry = entries[0]!;
    if (entry.body === undefined) sendNoContent(ctx, res, headers);
    else send(ctx, req, res, entry.status, entry.body, headers);
    return;
  }
  const bodies: Buffer[] = [];
  for (const entry of entries) {
    if (entry.body === undefined) continue;
    const plain = plainBody(entry.body);
    bodies.push(typeof plain === 'string' ? Buffer.from(plain) : plain);
  }
  if (bodies.length === 0) sendNoContent(ctx, res, headers);
  else send(ctx, req, res, 200, joinBatch(bodies), headers);
}

/**
 * `X-Cache`: HIT, MISS or COALESCED for a single cacheable request; for a batch, one status per
 * item in order, BYPASS for items that are not cacheable. Absent when nothing was cacheable.
 */
function xCache(entries: readonly ItemEntry[], batch: boolean): string | undefined {
  if (!batch) return entries[0]?.cache;
  let any = false;
  for (const entry of entries) if (entry.cache !== undefined) any = true;
  if (!any) return undefined;
  return entries.map((entry) => entry.cache ?? 'BYPASS').join(', ');
}
