/**
 * Routes: `/healthz`, `/readyz`, `/metrics`, and `POST /{network}` (or `POST /` with a
 * `Target-Service-Id` header naming a network or one of its service ids).
 */
import { GatewayError, toGatewayError } from '../errors/gateway-error.js';
import { corsHeaders, preflightHeaders } from '../http/cors.js';
import type { HttpRequest, ResponseBody, ResponseHeaders, ResponseWriter } from '../http/exchange.js';
import { requestId } from '../http/request-id.js';
import { send, sendError, sendNoContent } from '../http/respond.js';
import { totalOnlyHeader } from '../http/server-timing.js';
import type { Logger } from '../logging/logger.js';
import { redactTarget } from '../logging/redact.js';
import type { Network } from '../network/network.js';
import { isRelayerPath } from '../relayer/api/relayer-paths.js';
import { handleRpc, type RpcRouteContext } from './rpc-route.js';

/**
 * Serves `/admin/v1/…` (see admin/). `path` has no query string; the handler writes the
 * response (always exactly once) and may return a promise.
 */
export type AdminHandler = (
  req: HttpRequest,
  res: ResponseWriter,
  headers: ResponseHeaders,
  path: string,
) => Promise<void> | undefined;

/**
 * Serves the relayer API (`/v1/transfers…`, `/send-ft`, `/transfer/…`, `GET /health`); same
 * contract as AdminHandler.
 */
export type RelayerHandler = AdminHandler;

export interface RouterContext extends RpcRouteContext {
  readonly networks: ReadonlyMap<string, Network>;
  readonly serviceIds: ReadonlyMap<string, Network>;
  readonly log: Logger;
  readonly metricsText: () => Promise<{ contentType: string; body: string }>;
  readonly readiness: () => { ready: boolean; detail: unknown };
  readonly inflight: { inc(): void; dec(): void };
  /** Log one line per request (`logging.requests`). */
  readonly logRequests: boolean;
  /** Set when the admin API is on (tenancy enabled and an admin token configured). */
  readonly admin?: AdminHandler;
  /**
   * Set when the relayer is enabled; its paths then win over networks of the same name (except
   * `POST /health`, which stays a network's: the relayer has only `GET /health`).
   */
  readonly relayer?: RelayerHandler;
}

export function createRouter(ctx: RouterContext) {
  return function route(req: HttpRequest, writer: ResponseWriter): void {
    const headers: ResponseHeaders = { 'x-request-id': requestId(req) };
    ctx.inflight.inc();
    const res = new TrackedWriter(ctx, req, writer);
    try {
      // Cache hits and other synchronous answers return nothing: no promise or closure per request.
      dispatch(ctx, req, res, headers)?.catch((err: unknown) => failRequest(ctx, req, res, headers, err));
    } catch (err) {
      failRequest(ctx, req, res, headers, err);
    }
  };
}

/** A route threw or rejected: logged, and answered with the error if nothing was sent yet. */
function failRequest(
  ctx: RouterContext,
  req: HttpRequest,
  res: ResponseWriter,
  headers: ResponseHeaders,
  err: unknown,
): void {
  const error = toGatewayError(err);
  ctx.log.error({ err, requestId: headers['x-request-id'] }, 'request failed');
  sendError(ctx, req, res, error, null, headers);
}

/**
 * Counts the request in flight until its response is handed over; logs it when asked to.
 * A class, so every request's writer shares one hidden class (see the profiling findings in
 * docs/architecture.md).
 */
class TrackedWriter implements ResponseWriter {
  private done = false;

  constructor(
    private readonly ctx: RouterContext,
    private readonly req: HttpRequest,
    private readonly writer: ResponseWriter,
  ) {}

  end(status: number, headers: ResponseHeaders, body?: ResponseBody): void {
    if (this.done) return;
    this.done = true;
    this.ctx.inflight.dec();
    // Every routed response carries Server-Timing; JSON-RPC answers already hold their stages.
    if (this.ctx.config.serverTiming && headers['server-timing'] === undefined)
      headers['server-timing'] = totalOnlyHeader(performance.now() - this.req.receivedAt);
    if (this.ctx.logRequests) logRequest(this.ctx.log, this.req, status, headers);
    this.writer.end(status, headers, body);
  }

  onClientGone(listener: () => void): () => void {
    return this.writer.onClientGone?.(listener) ?? noop;
  }
}

function noop(): void {}

/** Synchronous for everything but JSON-RPC and metrics, which return their promise. */
function dispatch(
  ctx: RouterContext,
  req: HttpRequest,
  res: ResponseWriter,
  headers: ResponseHeaders,
): Promise<void> | undefined {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const method = req.method ?? 'GET';
  corsHeaders(ctx.config.cors, req, headers);

  if (method === 'GET' || method === 'HEAD') {
    if (path === '/healthz') {
      send(ctx, req, res, 200, '{"status":"ok"}', headers);
      return;
    }
    if (path === '/readyz') {
      const { ready, detail } = ctx.readiness();
      send(ctx, req, res, ready ? 200 : 503, JSON.stringify(detail), headers);
      return;
    }
    if (path === '/metrics') {
      return ctx.metricsText().then((metrics) => {
        headers['content-type'] = metrics.contentType;
        send(ctx, req, res, 200, metrics.body, headers);
      });
    }
  }
  if (path.startsWith('/admin/') && ctx.admin !== undefined) return ctx.admin(req, res, headers, path);
  if (ctx.relayer !== undefined && isRelayerPath(path, method)) return ctx.relayer(req, res, headers, path);
  const network = resolveNetwork(ctx, path, req);
  if (method === 'OPTIONS') {
    preflightHeaders(ctx.config.cors, req, headers);
    sendNoContent(ctx, res, headers);
    return;
  }
  if (network === undefined) {
    const name = path.split('/')[1] ?? '';
    const error =
      name === '' || /[^a-z0-9_-]/.test(name)
        ? new GatewayError('ERR_ROUTE_NOT_FOUND', `no route for ${method} ${path}`)
        : new GatewayError('ERR_NETWORK_NOT_FOUND', `network "${name}" is not configured`);
    sendError(ctx, req, res, error, null, headers);
    return;
  }
  if (method !== 'POST') {
    headers.allow = 'POST, OPTIONS';
    sendError(
      ctx,
      req,
      res,
      new GatewayError('ERR_HTTP_METHOD', `use POST for JSON-RPC, not ${method}`),
      null,
      headers,
    );
    return;
  }
  return handleRpc(ctx, network, req, res, headers, path);
}

function resolveNetwork(ctx: RouterContext, path: string, req: HttpRequest): Network | undefined {
  const slash = path.indexOf('/', 1);
  const name = slash === -1 ? path.slice(1) : path.slice(1, slash);
  if (name !== '') return ctx.networks.get(name);
  const serviceId = req.headers['target-service-id'];
  if (typeof serviceId !== 'string') return undefined;
  return ctx.networks.get(serviceId) ?? ctx.serviceIds.get(serviceId);
}

function logRequest(log: Logger, req: HttpRequest, status: number, headers: ResponseHeaders): void {
  log.info(
    {
      requestId: headers['x-request-id'],
      method: req.method,
      path: redactTarget(req.url ?? '/'),
      status,
      upstream: headers['x-turnpike-upstream'],
      durationMs: Number((performance.now() - req.receivedAt).toFixed(3)),
      remote: req.remoteAddress,
    },
    'request',
  );
}
