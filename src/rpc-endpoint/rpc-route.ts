/**
 * POST /{network}: read, parse, forward every request of a single or batch body through the
 * network pipeline, and answer with spec-exact JSON-RPC 2.0 responses.
 */

import type { CacheStatus, KnownShape, NetworkCache } from '../cache/network-cache.js';
import { ResultResponse } from '../cache/result-bytes.js';
import { GatewayError, toGatewayError } from '../errors/gateway-error.js';
import { type RequestEndEvent, requestEndChannel } from '../events/channels.js';
import { clientIp } from '../http/client-ip.js';
import { decodeBody } from '../http/decode-body.js';
import {
  type HttpRequest,
  plainBody,
  type ResponseBody,
  type ResponseHeaders,
  type ResponseWriter,
} from '../http/exchange.js';
import { type ResponseContext, send, sendError, sendNoContent } from '../http/respond.js';
import type { Logger } from '../logging/logger.js';
import type { Network } from '../network/network.js';
import { StageTiming } from '../network/stage-timing.js';
import { parseBody } from '../rpc/parse.js';
import { spliceRawId } from '../rpc/raw-id.js';
import { type RequestShape, requestShape } from '../rpc/request-shape.js';
import { errorResponse, joinBatch } from '../rpc/serialize.js';
import type { RpcItem } from '../rpc/types.js';
import type { Access } from '../tenancy/access.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import { admitBatch } from './admit-batch.js';

interface Entry {
  /** Response entry bytes, or undefined for a notification. */
  readonly body: ResponseBody | undefined;
  readonly status: number;
  /** How the cache took part; undefined when the item was not cacheable. */
  readonly cache?: CacheStatus | undefined;
  /** The cache key of a hit with a final plan (the request's shape may be mapped to it). */
  readonly finalKey?: string | undefined;
}

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
  const request: RpcRequestContext = { ctx, network, req, res, headers, timing, started, access: undefined };
  try {
    const tenancy = ctx.tenancy();
    if (tenancy !== undefined) {
      const authStarted = performance.now();
      const found = tenancy.authenticate(network.name, path, req.headers, clientIp(req, ctx.trustedProxies));
      if (found instanceof Promise) return authenticated(request, found, authStarted);
      timing.authMs = performance.now() - authStarted;
      if (found instanceof GatewayError) throw found;
      request.access = found;
    }
    return withBody(request);
  } catch (err) {
    answerFailure(request, err);
    return undefined;
  }
}

/** What one JSON-RPC POST carries through its stages. */
interface RpcRequestContext {
  readonly ctx: RpcRouteContext;
  readonly network: Network;
  readonly req: HttpRequest;
  readonly res: ResponseWriter;
  readonly headers: ResponseHeaders;
  readonly timing: StageTiming;
  readonly started: number;
  access: Access | undefined;
}

async function authenticated(
  request: RpcRequestContext,
  found: Promise<Access | GatewayError>,
  authStarted: number,
): Promise<void> {
  try {
    const settled = await found;
    request.timing.authMs = performance.now() - authStarted;
    if (settled instanceof GatewayError) throw settled;
    request.access = settled;
    await withBody(request);
  } catch (err) {
    answerFailure(request, err);
  }
}

/** Past authentication: the body as sent, or decoded first. */
function withBody(request: RpcRequestContext): Promise<void> | undefined {
  const { req } = request;
  return req.headers['content-encoding'] === undefined ? answerPlain(request, req.body) : readBody(request);
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
  const { network, timing, access } = request;
  const parsedAt = performance.now();
  timing.readMs = parsedAt - request.started;
  // A repeat of a request seen with a final plan: no JSON.parse, no planning (request-shape.ts).
  const cache = network.cache;
  const shape = cache?.hasShapes === true ? requestShape(body) : undefined;
  const known = shape === undefined ? undefined : cache!.knownShape(shape.key);
  const value = known === undefined ? undefined : cache!.peekKnown(known);
  if (value === undefined) return usualPath(request, body, shape, parsedAt);
  timing.knownHit = true;
  const entry = runKnown(network, cache!, known!, value, shape!, timing, access, parsedAt);
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
  let entries: Entry[];
  let batch: boolean;
  try {
    const parsed = parseBody(body, { maxBatchSize: request.ctx.config.maxBatchSize });
    timing.parseMs = performance.now() - parsedAt;
    if (parsed.kind === 'single') {
      batch = false;
      const entry = await runItem(request, parsed.item);
      entries = [entry];
      if (entry.finalKey !== undefined && parsed.item.ok)
        learn(network.cache!, shape ?? requestShape(body), entry.finalKey, parsed.item.request.method);
    } else {
      batch = true;
      if (request.access !== undefined) admitBatch(request.access, parsed.items);
      entries = await Promise.all(parsed.items.map((item) => runItem(request, item)));
    }
  } catch (err) {
    answerFailure(request, err);
    return;
  }
  answer(request, entries, batch);
}

/**
 * The one place this route turns what was thrown into a GatewayError: an ERR_INTERNAL is a bug,
 * logged here with its stack (docs/errors.md) before any answer carries it.
 */
function failure(request: RpcRequestContext, err: unknown): GatewayError {
  const error = toGatewayError(err);
  if (error.code === 'ERR_INTERNAL') logInternal(request, error, err);
  return error;
}

function logInternal(request: RpcRequestContext, error: GatewayError, err: unknown): void {
  request.ctx.log.error(
    { err, requestId: request.headers['x-request-id'], network: request.network.name, code: error.code },
    'JSON-RPC request failed with an internal error',
  );
}

function answerFailure(request: RpcRequestContext, err: unknown): void {
  const { ctx, req, res, headers } = request;
  const error = failure(request, err);
  if (error.code === 'ERR_BODY_TOO_LARGE') headers.connection = 'close';
  if (error.httpStatus === 401) headers['www-authenticate'] = 'Bearer realm="turnpike"';
  if (ctx.config.serverTiming)
    headers['server-timing'] = request.timing.header(performance.now() - request.started);
  sendError(ctx, req, res, error, null, headers);
}

function answer(request: RpcRequestContext, entries: readonly Entry[], batch: boolean): void {
  const { ctx, req, res, headers, timing } = request;
  request.access?.writeHeaders(headers);
  const cacheHeader = xCache(entries, batch);
  if (cacheHeader !== undefined) headers['x-cache'] = cacheHeader;
  if (ctx.config.serverTiming) headers['server-timing'] = timing.header(performance.now() - request.started);
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

async function runItem(context: RpcRequestContext, item: RpcItem): Promise<Entry> {
  const { network, timing, access } = context;
  if (!item.ok) {
    const body = errorResponse(item.id, item.error);
    const exact = item.rawId === undefined ? body : spliceRawId(body, item.rawId);
    return { body: exact, status: item.error.httpStatus };
  }
  const { request } = item;
  const started = performance.now();
  let entry: Entry;
  let outcome: string;
  try {
    if (access !== undefined) {
      const admitted = access.admit(request.method);
      const refusal = admitted instanceof Promise ? await admitted : admitted;
      if (refusal !== undefined) throw refusal;
    }
    const result = await network.handle(request, timing);
    if (result.ok) {
      entry = { body: result.body, status: 200, cache: result.cache, finalKey: result.finalKey };
      outcome = result.rpcError ? 'rpc_error' : 'ok';
    } else {
      if (result.error.code === 'ERR_INTERNAL') logInternal(context, result.error, result.error);
      entry = { body: errorResponse(request.id ?? null, result.error), status: result.error.httpStatus };
      outcome = result.error.code;
    }
  } catch (err) {
    const error = failure(context, err);
    entry = { body: errorResponse(request.id ?? null, error), status: error.httpStatus };
    outcome = error.code;
  }
  if (access !== undefined) access.record(request.method, outcome, entryBytes(entry.body));
  if (requestEndChannel.hasSubscribers) {
    const event: RequestEndEvent = {
      owner: network,
      network: network.name,
      method: request.method,
      outcome,
      durationMs: performance.now() - started,
    };
    requestEndChannel.publish(event);
  }
  if (request.id === undefined) return { body: undefined, status: 204, cache: entry.cache };
  // The client's exact id text (2^64, 1e2 and the like), whatever produced the entry.
  if (request.rawId !== undefined && entry.body !== undefined)
    return {
      body: spliceRawId(plainBody(entry.body), request.rawId),
      status: entry.status,
      cache: entry.cache,
      finalKey: entry.finalKey,
    };
  return entry;
}

function learn(cache: NetworkCache, shape: RequestShape | undefined, key: string, method: string): void {
  if (shape !== undefined) cache.learnShape(shape.key, key, method);
}

/**
 * A known shape's answer from the in-process tier: what runItem would give for a hit, with the
 * same admission, metering and request event, minus the parsing and planning.
 */
function runKnown(
  network: Network,
  cache: NetworkCache,
  known: KnownShape,
  value: Buffer,
  shape: RequestShape,
  timing: StageTiming,
  access: Access | undefined,
  started: number,
): Entry | Promise<Entry> {
  if (access !== undefined) {
    const admitted = access.admit(known.method);
    if (admitted instanceof Promise)
      return admitted.then((refusal) =>
        knownEntry(network, cache, known, value, shape, timing, access, started, refusal),
      );
    return knownEntry(network, cache, known, value, shape, timing, access, started, admitted);
  }
  return knownEntry(network, cache, known, value, shape, timing, undefined, started, undefined);
}

function knownEntry(
  network: Network,
  cache: NetworkCache,
  known: KnownShape,
  value: Buffer,
  shape: RequestShape,
  timing: StageTiming,
  access: Access | undefined,
  started: number,
  refusal: GatewayError | undefined,
): Entry {
  const { method } = known;
  let entry: Entry;
  let outcome: string;
  if (refusal === undefined) {
    cache.countKnownHit();
    const body = new ResultResponse(shape.body, shape.idStart, shape.idEnd, value);
    entry = { body, status: 200, cache: 'HIT', finalKey: undefined };
    outcome = 'ok';
    timing.cacheMs = performance.now() - started;
  } else {
    // The error entry of runItem, with the id exactly as sent.
    entry = { body: spliceRawId(errorResponse(null, refusal), shape.idText), status: refusal.httpStatus };
    outcome = refusal.code;
  }
  if (access !== undefined) access.record(method, outcome, entryBytes(entry.body));
  if (requestEndChannel.hasSubscribers) {
    const event: RequestEndEvent = {
      owner: network,
      network: network.name,
      method,
      outcome,
      durationMs: performance.now() - started,
    };
    requestEndChannel.publish(event);
  }
  return entry;
}

function entryBytes(body: ResponseBody | undefined): number {
  if (body === undefined) return 0;
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

/**
 * `X-Cache`: HIT, MISS or COALESCED for a single cacheable request; for a batch, one status per
 * item in order, BYPASS for items that are not cacheable. Absent when nothing was cacheable.
 */
function xCache(entries: readonly Entry[], batch: boolean): string | undefined {
  if (!batch) return entries[0]?.cache;
  let any = false;
  for (const entry of entries) if (entry.cache !== undefined) any = true;
  if (!any) return undefined;
  return entries.map((entry) => entry.cache ?? 'BYPASS').join(', ');
}
