/**
 * The built-in dashboard as a feature module (docs/dashboard.md): `/dashboard` (the sign-in
 * form, or the page once signed in), its static files, the sign-in and sign-out forms, and the
 * live data: `/dashboard/api/stream` (server-sent events) and `/dashboard/api/snapshot`. On
 * when an admin token is set; the session is a signed cookie (session.ts). In one process the
 * module samples its own registry; cluster workers get the primary's feed instead.
 */
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import { resolveAdminToken, tokenCheck } from '../admin/admin-auth.js';
import type { TurnpikeConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { HttpRequest, ResponseHeaders, ResponseWriter } from '../http/exchange.js';
import { CLOSE_ORDER, type FeatureModule } from '../http/feature-module.js';
import type { HttpRoute } from '../http/http-router.js';
import { type ResponseContext, send, sendError } from '../http/respond.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import { type DashboardAssets, loadAssets } from './assets.js';
import { EventStreams } from './event-streams.js';
import { CONTENT_SECURITY_POLICY, dashboardPage, signInPage } from './pages.js';
import { Sampler, type SnapshotFeed } from './sampler.js';
import { SessionSigner, sessionCookie } from './session.js';
import { ProcessProbe, sampleWorker } from './worker-sample.js';

/** Live streams one process serves at most. */
export const MAX_STREAMS = 32;
const MAX_FORM_BYTES = 4096;

export interface DashboardModuleOptions {
  readonly config: TurnpikeConfig;
  readonly response: ResponseContext;
  /** The registry the in-process sampler reads (unused when `feed` is given). */
  readonly registry: Registry;
  readonly workerLabel: string;
  /** The cluster primary's snapshots; default: a sampler in this process. */
  readonly feed?: SnapshotFeed | undefined;
  /** Signs session cookies together with the admin token; the same in every worker. Default: random. */
  readonly secret?: Buffer | undefined;
  /** The tenancy layer once open (the top projects and keys); undefined when tenancy is off. */
  readonly tenancy?: (() => Tenancy | undefined) | undefined;
}

interface Enabled {
  readonly signer: SessionSigner;
  readonly matchesToken: (presented: string) => boolean;
  readonly assets: DashboardAssets;
  readonly streams: EventStreams;
  readonly feed: SnapshotFeed;
  readonly sampler: Sampler | undefined;
  readonly probe: ProcessProbe | undefined;
}

export class DashboardModule implements FeatureModule {
  readonly name = 'dashboard';
  readonly closeOrder = CLOSE_ORDER.realtime;
  readonly routes: readonly HttpRoute[];
  private enabled: Enabled | undefined;

  constructor(private readonly options: DashboardModuleOptions) {
    const handler = (req: HttpRequest, res: ResponseWriter, headers: ResponseHeaders, path: string) =>
      this.handle(req, res, headers, path);
    this.routes = [
      { method: 'GET', path: '/dashboard', handler },
      { method: '*', path: '/dashboard/*', handler },
    ];
  }

  async open(): Promise<void> {
    const token = resolveAdminToken(this.options.config);
    if (token === undefined) return;
    const { options } = this;
    let sampler: Sampler | undefined;
    let probe: ProcessProbe | undefined;
    let feed = options.feed;
    if (feed === undefined) {
      const localProbe = new ProcessProbe();
      probe = localProbe;
      sampler = new Sampler(async () => [
        await sampleWorker(options.registry, localProbe, {
          worker: options.workerLabel,
          readQueue: true,
          tenancy: options.tenancy,
        }),
      ]);
      feed = sampler;
    }
    this.enabled = {
      signer: new SessionSigner(options.secret ?? randomBytes(32), token),
      matchesToken: tokenCheck(token),
      assets: loadAssets(),
      streams: new EventStreams(feed, MAX_STREAMS),
      feed,
      sampler,
      probe,
    };
  }

  async start(): Promise<void> {
    this.enabled?.sampler?.start();
  }

  drain(): void {
    this.enabled?.streams.closeAll();
  }

  close(): void {
    this.enabled?.streams.closeAll();
    this.enabled?.sampler?.stop();
    this.enabled?.probe?.close();
  }

  /** Open streams in this process (tests). */
  get streamCount(): number {
    return this.enabled?.streams.size ?? 0;
  }

  private handle(
    req: HttpRequest,
    res: ResponseWriter,
    headers: ResponseHeaders,
    path: string,
  ): Promise<void> | undefined {
    const { response } = this.options;
    const enabled = this.enabled;
    if (enabled === undefined) {
      const off = new GatewayError(
        'ERR_ROUTE_NOT_FOUND',
        'the dashboard is off: set an admin token (TURNPIKE_ADMIN_TOKEN)',
      );
      sendError(response, req, res, off, null, headers);
      return undefined;
    }
    headers['x-content-type-options'] = 'nosniff';
    const asset = enabled.assets.all.find((candidate) => candidate.path === path);
    if (asset !== undefined) {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return this.wrongMethod(req, res, headers, 'GET, HEAD');
      headers['content-type'] = asset.contentType;
      headers['cache-control'] = 'public, max-age=31536000, immutable';
      send(response, req, res, 200, asset.body, headers);
      return undefined;
    }
    headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
    headers['referrer-policy'] = 'no-referrer';
    headers['x-frame-options'] = 'DENY';
    headers['cache-control'] = 'no-store';
    const signedIn = enabled.signer.verify(req.headers);
    switch (path) {
      case '/dashboard':
      case '/dashboard/':
        if (req.method !== 'GET' && req.method !== 'HEAD')
          return this.wrongMethod(req, res, headers, 'GET, HEAD');
        return this.html(
          req,
          res,
          headers,
          200,
          signedIn ? dashboardPage(enabled.assets) : signInPage(enabled.assets),
        );
      case '/dashboard/sign-in':
        if (req.method !== 'POST') return this.wrongMethod(req, res, headers, 'POST');
        return this.signIn(enabled, req, res, headers);
      case '/dashboard/sign-out':
        if (req.method !== 'POST') return this.wrongMethod(req, res, headers, 'POST');
        headers['set-cookie'] = sessionCookie('', isHttps(req));
        headers.location = '/dashboard';
        res.end(303, headers);
        return undefined;
      case '/dashboard/api/stream':
      case '/dashboard/api/snapshot': {
        // The stream is GET only: a HEAD would get a head and then a body that never ends.
        const allow = path === '/dashboard/api/stream' ? 'GET' : 'GET, HEAD';
        if (!allow.split(', ').includes(req.method)) return this.wrongMethod(req, res, headers, allow);
        if (!signedIn) {
          const error = new GatewayError('ERR_DASHBOARD_UNAUTHORIZED', 'sign in at /dashboard first');
          sendError(response, req, res, error, null, headers);
          return undefined;
        }
        if (path === '/dashboard/api/stream') return this.stream(enabled, req, res, headers);
        // A rejection (the primary did not answer) is answered by the router.
        return enabled.feed.history().then(({ latest }) => {
          headers['content-type'] = 'application/json';
          send(response, req, res, 200, JSON.stringify(latest ?? null), headers);
        });
      }
      default:
        sendError(
          response,
          req,
          res,
          new GatewayError('ERR_ROUTE_NOT_FOUND', `no dashboard path ${path}`),
          null,
          headers,
        );
        return undefined;
    }
  }

  private signIn(
    enabled: Enabled,
    req: HttpRequest,
    res: ResponseWriter,
    headers: ResponseHeaders,
  ): undefined {
    const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    const token =
      type === 'application/x-www-form-urlencoded' && req.body.length <= MAX_FORM_BYTES
        ? new URLSearchParams(req.body.toString('utf8')).get('token')
        : null;
    if (token === null) {
      const error = new GatewayError(
        'ERR_DASHBOARD_INVALID',
        'post the sign-in form: a urlencoded token field',
      );
      sendError(this.options.response, req, res, error, null, headers);
      return undefined;
    }
    if (!enabled.matchesToken(token))
      return this.html(req, res, headers, 401, signInPage(enabled.assets, 'That is not the admin token.'));
    headers['set-cookie'] = sessionCookie(enabled.signer.issue(), isHttps(req));
    headers.location = '/dashboard';
    res.end(303, headers);
    return undefined;
  }

  private stream(
    enabled: Enabled,
    req: HttpRequest,
    res: ResponseWriter,
    headers: ResponseHeaders,
  ): undefined {
    if (enabled.streams.full || res.stream === undefined) {
      headers['retry-after'] = 5;
      sendError(
        this.options.response,
        req,
        res,
        new GatewayError('ERR_DASHBOARD_BUSY', 'too many dashboard streams'),
        null,
        headers,
      );
      return undefined;
    }
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    // Proxies such as nginx would otherwise hold the events back.
    headers['x-accel-buffering'] = 'no';
    const stream = res.stream(200, headers);
    if (stream !== undefined) enabled.streams.add(stream);
    return undefined;
  }

  private html(
    req: HttpRequest,
    res: ResponseWriter,
    headers: ResponseHeaders,
    status: number,
    page: string,
  ): undefined {
    headers['content-type'] = 'text/html; charset=utf-8';
    send(this.options.response, req, res, status, page, headers);
    return undefined;
  }

  private wrongMethod(
    req: HttpRequest,
    res: ResponseWriter,
    headers: ResponseHeaders,
    allow: string,
  ): undefined {
    headers.allow = allow === 'GET' ? 'GET, HEAD' : allow;
    sendError(
      this.options.response,
      req,
      res,
      new GatewayError('ERR_HTTP_METHOD', `use ${allow}`),
      null,
      headers,
    );
    return undefined;
  }
}

/** Behind a TLS-terminating proxy the cookie is marked Secure. */
function isHttps(req: HttpRequest): boolean {
  return req.headers['x-forwarded-proto']?.split(',')[0]?.trim().toLowerCase() === 'https';
}
