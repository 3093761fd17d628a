/**
 * `/admin/v1/…`: plans, projects, keys, credits and usage over JSON, behind a bearer token.
 * On only when tenancy has a store and an admin token is set. Every answer is `no-store` (some
 * carry a key's secret), and every successful change is announced to the key caches of this
 * and every other instance before the answer goes out, so a revoked key stops at once.
 */
import type { TurnpikeConfig } from '../config/schema.js';
import { GatewayError, toGatewayError } from '../errors/gateway-error.js';
import { preflightHeaders } from '../http/cors.js';
import type { HttpRequest, ResponseHeaders, ResponseWriter } from '../http/exchange.js';
import type { RouteHandler } from '../http/http-router.js';
import { readJsonBody, readQuery, sendAdminError } from '../http/json-io.js';
import { type ResponseContext, send, sendNoContent } from '../http/respond.js';
import { RouteTable } from '../http/route-table.js';
import { createLogger, type Logger } from '../logging/logger.js';
import type { TenancyStore } from '../tenancy/model.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import { bearerTokenCheck, resolveAdminToken } from './admin-auth.js';
import type { AdminRoute } from './define-route.js';
import { ADMIN_ROUTES, openApiDocument } from './routes.js';

export interface AdminRouteOptions {
  /** Where unexpected errors and failed change notices are logged. @default a logger at `logging.level` */
  log?: Logger;
}

interface AdminContext {
  readonly response: ResponseContext;
  readonly store: TenancyStore;
  readonly tenancy: Tenancy;
  readonly log: Logger;
}

/**
 * The admin handler, or undefined when the admin API is off. Throws at start-up when the token
 * is too short.
 */
export function createAdminRoute(
  config: TurnpikeConfig,
  tenancy: Tenancy,
  ctx: ResponseContext,
  options: AdminRouteOptions = {},
): RouteHandler | undefined {
  const store = tenancy.parts.store;
  const token = resolveAdminToken(config);
  if (store === undefined || token === undefined) return undefined;
  const authorized = bearerTokenCheck(token);
  const table = new RouteTable(ADMIN_ROUTES);
  const allowedMethods = `${[...new Set(ADMIN_ROUTES.map((route) => route.method))].sort().join(', ')}, OPTIONS`;
  // Built now, so a schema the document cannot describe fails the start, not a request.
  openApiDocument();
  const admin: AdminContext = {
    response: ctx,
    store,
    tenancy,
    log: options.log ?? createLogger(config.logging.level),
  };

  return (req, res, headers, path) => {
    headers['cache-control'] = 'no-store';
    const method = req.method;
    // A CORS preflight never carries credentials, so it is answered before the token check,
    // and the same way on every /admin/ path: an answer per route would tell an unauthenticated
    // caller which paths exist.
    if (method === 'OPTIONS') {
      preflightHeaders(ctx.config.cors, req, headers);
      if (headers['access-control-allow-origin'] !== undefined)
        headers['access-control-allow-methods'] = allowedMethods;
      sendNoContent(ctx, res, headers);
      return undefined;
    }
    if (!authorized(req.headers.authorization)) {
      headers['www-authenticate'] = 'Bearer realm="turnpike-admin"';
      const error = new GatewayError('ERR_ADMIN_UNAUTHORIZED', 'send Authorization: Bearer <admin token>');
      sendAdminError(ctx, req, res, error, headers);
      return undefined;
    }
    const match = table.match(method, path);
    if (match.kind === 'none') {
      const error = new GatewayError('ERR_ROUTE_NOT_FOUND', `no admin route for ${method} ${path}`);
      sendAdminError(ctx, req, res, error, headers);
      return undefined;
    }
    if (match.kind === 'wrong-method') {
      headers.allow = `${match.allow.join(', ')}, OPTIONS`;
      const error = new GatewayError(
        'ERR_HTTP_METHOD',
        `${method} is not allowed on ${path}; use ${headers.allow}`,
      );
      sendAdminError(ctx, req, res, error, headers);
      return undefined;
    }
    return serve(admin, match.route, match.params, req, res, headers);
  };
}

async function serve(
  admin: AdminContext,
  route: AdminRoute,
  params: ReadonlyMap<string, string>,
  req: HttpRequest,
  res: ResponseWriter,
  headers: ResponseHeaders,
): Promise<void> {
  const ctx = admin.response;
  try {
    const body = await readJsonBody(req, ctx.config.maxBodyBytes);
    const result = await route.handler({ store: admin.store, params, body, query: readQuery(req.url) });
    if (route.method !== 'GET') await announceChange(admin);
    if (route.status === 204) sendNoContent(ctx, res, headers);
    else send(ctx, req, res, route.status, JSON.stringify(result), headers);
  } catch (err) {
    const error = toGatewayError(err);
    if (error.httpStatus >= 500)
      admin.log.error(
        { err, requestId: headers['x-request-id'], route: route.operationId },
        'admin request failed',
      );
    sendAdminError(ctx, req, res, error, headers);
  }
}

/**
 * The change is committed by now; if telling the caches fails, they still catch up at their
 * next poll (`tenancy.changePollMs`), so the caller gets its success, not a 500 that would
 * invite a retry of a change already made.
 */
async function announceChange(admin: AdminContext): Promise<void> {
  try {
    await admin.tenancy.changed();
  } catch (err) {
    admin.log.warn({ err }, 'admin change saved but not announced; caches pick it up at their next poll');
  }
}
