/**
 * `POST /{network}`, or `POST /` with a `Target-Service-Id` header naming a network or one of
 * its service ids: the router's fallback, so it sees every path no module route took. Answers
 * the CORS preflight, 404 (no such route or network) and 405 itself.
 */
import { GatewayError } from '../errors/gateway-error.js';
import { preflightHeaders } from '../http/cors.js';
import type { HttpRequest, ResponseHeaders, ResponseWriter } from '../http/exchange.js';
import { sendError, sendNoContent } from '../http/respond.js';
import type { Network } from '../network/network.js';
import { handleRpc, type RpcRouteContext } from './rpc-route.js';

export interface NetworkRouteContext extends RpcRouteContext {
  readonly networks: ReadonlyMap<string, Network>;
  readonly serviceIds: ReadonlyMap<string, Network>;
}

export function routeNetwork(
  ctx: NetworkRouteContext,
  req: HttpRequest,
  res: ResponseWriter,
  headers: ResponseHeaders,
  path: string,
): Promise<void> | undefined {
  const method = req.method ?? 'GET';
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

function resolveNetwork(ctx: NetworkRouteContext, path: string, req: HttpRequest): Network | undefined {
  const slash = path.indexOf('/', 1);
  const name = slash === -1 ? path.slice(1) : path.slice(1, slash);
  if (name !== '') return ctx.networks.get(name);
  const serviceId = req.headers['target-service-id'];
  if (typeof serviceId !== 'string') return undefined;
  return ctx.networks.get(serviceId) ?? ctx.serviceIds.get(serviceId);
}
