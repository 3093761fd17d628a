/**
 * The built-in dashboard as a feature module (docs/dashboard.md): `/dashboard` (the sign-in
 * form, or the page once signed in), its static files, the sign-in and sign-out forms, and the
 * live data: `/dashboard/api/stream` (server-sent events) and `/dashboard/api/snapshot`, and
 * the scoped reads of stored data (scoped-api.ts) the project view and the transfer search use.
 * On when an admin token is set; the session is a signed cookie (session.ts) naming its scope:
 * the admin, or one project (signed in with one of its API keys). In one process the module
 * samples its own registry; cluster workers get the primary's feed instead.
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
import type { RelayerStore } from '../relayer/relayer-store.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import { type DashboardAssets, loadAssets } from './assets.js';
import { EventStreams } from './event-streams.js';
import { CONTENT_SECURITY_POLICY } from './page-head.js';
import { dashboardPage, signInPage } from './pages.js';
import { projectPage } from './project-page.js';
import { Sampler, type SnapshotFeed } from './sampler.js';
import { SCOPED_PATHS, type ScopedSources, scopedAnswer } from './scoped-api.js';
import { SessionSigner, sessionCookie } from './session.js';
import { isHttps, type SignInContext, signIn } from './sign-in.js';
import { SignInGuard } from './sign-in-guard.js';
import { ProcessProbe, sampleWorker } from './worker-sample.js';

/** Live streams one process serves at most. */
export const MAX_STREAMS = 32;

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
  /** The tenancy layer once open (API-key sign-in, the project view, the top projects and keys); default: none. */
  readonly tenancy?: (() => Tenancy | undefined) | undefined;
  /** The relayer's store once open (transfer list and search); default: none. */
  readonly relayerStore?: (() => RelayerStore | undefined) | undefined;
}

interface Enabled {
  readonly signer: SessionSigner;
  readonly signIn: SignInContext;
  readonly scoped: ScopedSources;
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
    const signer = new SessionSigner(options.secret ?? randomBytes(32), token);
    const assets = loadAssets();
    const tenancy = options.tenancy ?? (() => undefined);
    this.enabled = {
      signer,
      signIn: {
        response: options.response,
        assets,
        signer,
        matchesToken: tokenCheck(token),
        guard: new SignInGuard(),
        trustedProxies: new Set(options.config.server.trustedProxies),
        keys: () => tenancy()?.parts.keys,
      },
      scoped: {
        tenancy: () => tenancy()?.parts.store,
        relayer: options.relayerStore ?? (() => undefined),
        relayerEnabled: options.config.relayer.enabled,
      },
      assets,
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
    const session = enabled.signer.verify(req.headers);
    if (SCOPED_PATHS.has(path)) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return this.wrongMethod(req, res, headers, 'GET');
      if (session === undefined) return this.unauthorized(req, res, headers);
      // A refusal (GatewayError) is answered by the router.
      return scopedAnswer(enabled.scoped, session, path, req.url).then((json) => {
        headers['content-type'] = 'application/json';
        send(response, req, res, 200, json, headers);
      });
    }
    switch (path) {
      case '/dashboard':
      case '/dashboard/': {
        if (req.method !== 'GET' && req.method !== 'HEAD')
          return this.wrongMethod(req, res, headers, 'GET, HEAD');
        const page =
          session === undefined
            ? signInPage(enabled.assets)
            : session.kind === 'admin'
              ? dashboardPage(enabled.assets)
              : projectPage(enabled.assets);
        return this.html(req, res, headers, 200, page);
      }
      case '/dashboard/sign-in':
        if (req.method !== 'POST') return this.wrongMethod(req, res, headers, 'POST');
        return signIn(enabled.signIn, req, res, headers);
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
        if (session === undefined) return this.unauthorized(req, res, headers);
        if (session.kind !== 'admin') {
          const error = new GatewayError(
            'ERR_DASHBOARD_FORBIDDEN',
            'the live view shows every project: sign in with the admin token',
          );
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

  private unauthorized(req: HttpRequest, res: ResponseWriter, headers: ResponseHeaders): undefined {
    const error = new GatewayError('ERR_DASHBOARD_UNAUTHORIZED', 'sign in at /dashboard first');
    sendError(this.options.response, req, res, error, null, headers);
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
