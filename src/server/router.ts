/**
 * Routes: `/healthz`, `/readyz`, `/metrics`, and `POST /{network}` (or `POST /` with a
 * `Target-Service-Id` header naming a network or one of its service ids).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { GatewayError, toGatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../logging/logger.js';
import type { Network } from '../network/network.js';
import { corsHeaders, preflightHeaders } from './cors.js';
import { requestId } from './request-id.js';
import { type ResponseContext, send, sendError, sendNoContent } from './respond.js';
import { handleRpc } from './rpc-route.js';

export interface RouterContext extends ResponseContext {
  readonly networks: ReadonlyMap<string, Network>;
  readonly serviceIds: ReadonlyMap<string, Network>;
  readonly log: Logger;
  readonly metricsText: () => Promise<{ contentType: string; body: string }>;
  readonly readiness: () => { ready: boolean; detail: unknown };
  readonly inflight: { inc(): void; dec(): void };
  /** Log one line per request (`logging.requests`). */
  readonly logRequests: boolean;
}

export function createRouter(ctx: RouterContext) {
  return function route(req: IncomingMessage, res: ServerResponse): void {
    const headers: OutgoingHttpHeaders = { 'x-request-id': requestId(req) };
    ctx.inflight.inc();
    res.once('close', ctx.inflight.dec);
    if (ctx.logRequests) logWhenDone(ctx.log, req, res, headers);
    dispatch(ctx, req, res, headers).catch((err: unknown) => {
      const error = toGatewayError(err);
      ctx.log.error({ err, requestId: headers['x-request-id'] }, 'request failed');
      if (!res.headersSent) sendError(ctx, req, res, error, null, headers);
      else res.destroy();
    });
  };
}

async function dispatch(
  ctx: RouterContext,
  req: IncomingMessage,
  res: ServerResponse,
  headers: OutgoingHttpHeaders,
): Promise<void> {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const method = req.method ?? 'GET';
  corsHeaders(ctx.config.cors, req, headers);

  if (method === 'GET' || method === 'HEAD') {
    if (path === '/healthz') return send(ctx, req, res, 200, '{"status":"ok"}', headers);
    if (path === '/readyz') {
      const { ready, detail } = ctx.readiness();
      return send(ctx, req, res, ready ? 200 : 503, JSON.stringify(detail), headers);
    }
    if (path === '/metrics') {
      const metrics = await ctx.metricsText();
      headers['content-type'] = metrics.contentType;
      return send(ctx, req, res, 200, metrics.body, headers);
    }
  }
  const network = resolveNetwork(ctx, path, req);
  if (method === 'OPTIONS') {
    preflightHeaders(ctx.config.cors, req, headers);
    return sendNoContent(ctx, res, headers);
  }
  if (network === undefined) {
    const name = path.split('/')[1] ?? '';
    const error =
      name === '' || /[^a-z0-9_-]/.test(name)
        ? new GatewayError('ERR_ROUTE_NOT_FOUND', `no route for ${method} ${path}`)
        : new GatewayError('ERR_NETWORK_NOT_FOUND', `network "${name}" is not configured`);
    req.resume();
    return sendError(ctx, req, res, error, null, headers);
  }
  if (method !== 'POST') {
    headers.allow = 'POST, OPTIONS';
    req.resume();
    return sendError(
      ctx,
      req,
      res,
      new GatewayError('ERR_HTTP_METHOD', `use POST for JSON-RPC, not ${method}`),
      null,
      headers,
    );
  }
  return handleRpc(ctx, network, req, res, headers);
}

function resolveNetwork(ctx: RouterContext, path: string, req: IncomingMessage): Network | undefined {
  const slash = path.indexOf('/', 1);
  const name = slash === -1 ? path.slice(1) : path.slice(1, slash);
  if (name !== '') return ctx.networks.get(name);
  const serviceId = req.headers['target-service-id'];
  if (typeof serviceId !== 'string') return undefined;
  return ctx.networks.get(serviceId) ?? ctx.serviceIds.get(serviceId);
}

function logWhenDone(
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  headers: OutgoingHttpHeaders,
): void {
  const started = performance.now();
  res.once('close', () => {
    log.info(
      {
        requestId: headers['x-request-id'],
        method: req.method,
        path: req.url,
        status: res.statusCode,
        upstream: res.getHeader('x-turnpike-upstream'),
        durationMs: Number((performance.now() - started).toFixed(3)),
        remote: req.socket.remoteAddress,
      },
      'request',
    );
  });
}
