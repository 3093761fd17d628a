/**
 * POST /{network}: read, parse, forward every request of a single or batch body through the
 * network pipeline, and answer with spec-exact JSON-RPC 2.0 responses.
 */
import { GatewayError, toGatewayError } from '../errors/gateway-error.js';
import { type RequestEndEvent, requestEndChannel } from '../metrics/events.js';
import type { Network } from '../network/network.js';
import { parseBody } from '../rpc/parse.js';
import { spliceRawId } from '../rpc/raw-id.js';
import { errorResponse, joinBatch } from '../rpc/serialize.js';
import type { RpcItem } from '../rpc/types.js';
import { decodeBody } from './decode-body.js';
import type { HttpRequest, ResponseHeaders, ResponseWriter } from './http1/exchange.js';
import { type ResponseContext, send, sendError, sendNoContent } from './respond.js';
import { StageTiming } from './server-timing.js';

interface Entry {
  /** Response entry bytes, or undefined for a notification. */
  readonly body: Buffer | string | undefined;
  readonly status: number;
}

/**
 * JSON media types, plus curl's default for `-d` (x-www-form-urlencoded): the body is JSON
 * either way, and refusing it would fail the most common first request people type.
 */
const JSON_TYPE = /^application\/(?:(?:[\w.+-]*\+)?json|x-www-form-urlencoded)\b/i;

export async function handleRpc(
  ctx: ResponseContext,
  network: Network,
  req: HttpRequest,
  res: ResponseWriter,
  headers: ResponseHeaders,
): Promise<void> {
  const started = req.receivedAt;
  const timing = new StageTiming();
  const contentType = req.headers['content-type'];
  if (contentType !== undefined && contentType !== '' && !JSON_TYPE.test(contentType)) {
    sendError(
      ctx,
      req,
      res,
      new GatewayError('ERR_UNSUPPORTED_MEDIA_TYPE', `unsupported Content-Type: ${contentType}`),
      null,
      headers,
    );
    return;
  }
  const { maxBodyBytes, maxBatchSize } = ctx.config;
  let entries: Entry[];
  let batch: boolean;
  try {
    const encoding = req.headers['content-encoding'];
    const body = encoding === undefined ? req.body : await decodeBody(req.body, encoding, maxBodyBytes);
    const parsedAt = performance.now();
    timing.readMs = parsedAt - started;
    const parsed = parseBody(body, { maxBatchSize });
    timing.parseMs = performance.now() - parsedAt;
    if (parsed.kind === 'single') {
      batch = false;
      entries = [await runItem(network, parsed.item, timing)];
    } else {
      batch = true;
      entries = await Promise.all(parsed.items.map((item) => runItem(network, item, timing)));
    }
  } catch (err) {
    const error = toGatewayError(err);
    if (error.code === 'ERR_BODY_TOO_LARGE') headers.connection = 'close';
    if (ctx.config.serverTiming) headers['server-timing'] = timing.header(performance.now() - started);
    sendError(ctx, req, res, error, null, headers);
    return;
  }

  if (ctx.config.serverTiming) headers['server-timing'] = timing.header(performance.now() - started);
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
    if (entry.body !== undefined)
      bodies.push(typeof entry.body === 'string' ? Buffer.from(entry.body) : entry.body);
  }
  if (bodies.length === 0) sendNoContent(ctx, res, headers);
  else send(ctx, req, res, 200, joinBatch(bodies), headers);
}

async function runItem(network: Network, item: RpcItem, timing: StageTiming): Promise<Entry> {
  if (!item.ok) return { body: errorResponse(item.id, item.error), status: item.error.httpStatus };
  const { request } = item;
  const started = performance.now();
  let entry: Entry;
  let outcome: string;
  try {
    const result = await network.handle(request, timing);
    if (result.ok) {
      entry = { body: result.body, status: 200 };
      outcome = result.rpcError ? 'rpc_error' : 'ok';
    } else {
      entry = { body: errorResponse(request.id ?? null, result.error), status: result.error.httpStatus };
      outcome = result.error.code;
    }
  } catch (err) {
    const error = toGatewayError(err);
    entry = { body: errorResponse(request.id ?? null, error), status: error.httpStatus };
    outcome = error.code;
  }
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
  if (request.id === undefined) return { body: undefined, status: 204 };
  // The client's exact id text (2^64 and the like), whatever produced the entry.
  if (request.rawId !== undefined && entry.body !== undefined)
    return { body: spliceRawId(entry.body, request.rawId), status: entry.status };
  return entry;
}
