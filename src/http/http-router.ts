/**
 * The gateway's one router: gives each request its id, counts it in flight, adds CORS and the
 * Server-Timing total, logs it, answers whatever a route throws, and dispatches over the routes
 * the feature modules hand it (route-table.ts), then to the one fallback (JSON-RPC's
 * `POST /{network}`). Cache hits and other synchronous answers stay synchronous: no promise or
 * closure per request.
 */
import type { ServerConfig } from '../config/schema.js';
import { toGatewayError } from '../errors/gateway-error.js';
import type { Logger } from '../logging/logger.js';
import { redactTarget } from '../logging/redact.js';
import { corsHeaders } from './cors.js';
import type { Drain } from './drain.js';
import type {
  HttpRequest,
  ResponseBody,
  ResponseHeaders,
  ResponseStream,
  ResponseWriter,
} from './exchange.js';
import { requestId } from './request-id.js';
import { type ResponseContext, sendError } from './respond.js';
import { type Route, RouteTable } from './route-table.js';
import { totalOnlyHeader } from './server-timing.js';

/**
 * Serves one request. `path` has no query string; the handler writes the response (always
 * exactly once) and returns a promise only when it answers asynchronously.
 */
export type RouteHandler = (
  req: HttpRequest,
  res: ResponseWriter,
  headers: ResponseHeaders,
  path: string,
) => Promise<void> | undefined;

/** A top-level route: an exact path (GET also takes HEAD) or a mount (`/admin/*`). */
export type HttpRoute = Route<RouteHandler>;

export interface HttpRouterOptions {
  readonly config: ServerConfig;
  readonly drain: Drain;
  readonly log: Logger;
  /** Log one line per request (`logging.requests`). */
  readonly logRequests: boolean;
  /**
   * Matched first: exact paths, then mounts in the order given. A path whose routes take other
   * methods is not a 405 here; it goes on to the fallback.
   */
  readonly routes: readonly HttpRoute[];
  /** Answers everything no route took. */
  readonly fallback: RouteHandler;
}

export class HttpRouter {
  /** The handler for a server (Http1Server, or node:http through node-adapter.ts). */
  readonly handle: (req: HttpRequest, writer: ResponseWriter) => void;
  readonly response: ResponseContext;
  private readonly table: RouteTable<HttpRoute>;

  constructor(private readonly options: HttpRouterOptions) {
    this.table = new RouteTable(options.routes, { headFromGet: true });
    this.response = { config: options.config, draining: options.drain.isDraining };
    const { drain, config, fallback } = options;
    const table = this.table;
    // One function made here, not one per request; it returns nothing, so cache hits and other
    // synchronous answers make no promise.
    this.handle = (req, writer) => {
      const headers: ResponseHeaders = { 'x-request-id': requestId(req) };
      drain.requestStarted();
      const res = new TrackedWriter(options, req, writer);
      try {
        const url = req.url ?? '/';
        const query = url.indexOf('?');
        const path = query === -1 ? url : url.slice(0, query);
        corsHeaders(config.cors, req, headers);
        const route = table.find(req.method ?? 'GET', path);
        const answered =
          route === undefined ? fallback(req, res, headers, path) : route.handler(req, res, headers, path);
        answered?.catch((err: unknown) => this.fail(req, res, headers, err));
      } catch (err) {
        this.fail(req, res, headers, err);
      }
    };
  }

  /** A route threw or rejected: logged, and answered with the error if nothing was sent yet. */
  private fail(req: HttpRequest, res: ResponseWriter, headers: ResponseHeaders, err: unknown): void {
    const error = toGatewayError(err);
    this.options.log.error({ err, requestId: headers['x-request-id'] }, 'request failed');
    sendError(this.response, req, res, error, null, headers);
  }
}

/**
 * Counts the request in flight until its response is handed over; logs it when asked to.
 * A class, so every request's writer shares one hidden class (see the profiling findings in
 * docs/architecture.md).
 */
class TrackedWriter implements ResponseWriter {
  private done = false;

  constructor(
    private readonly options: HttpRouterOptions,
    private readonly req: HttpRequest,
    private readonly writer: ResponseWriter,
  ) {}

  end(status: number, headers: ResponseHeaders, body?: ResponseBody): void {
    if (this.done) return;
    this.done = true;
    this.options.drain.requestDone();
    // Every routed response carries Server-Timing; JSON-RPC answers already hold their stages.
    if (this.options.config.serverTiming && headers['server-timing'] === undefined)
      headers['server-timing'] = totalOnlyHeader(performance.now() - this.req.receivedAt);
    if (this.options.logRequests) logRequest(this.options.log, this.req, status, headers);
    this.writer.end(status, headers, body);
  }

  onClientGone(listener: () => void): () => void {
    return this.writer.onClientGone?.(listener) ?? noop;
  }

  /** A stream counts as answered once its head is out: the drain ends streams through their module. */
  stream(status: number, headers: ResponseHeaders): ResponseStream | undefined {
    if (this.done || this.writer.stream === undefined) return undefined;
    this.done = true;
    this.options.drain.requestDone();
    if (this.options.logRequests) logRequest(this.options.log, this.req, status, headers);
    return this.writer.stream(status, headers);
  }
}

function noop(): void {}

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
