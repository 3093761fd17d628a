/**
 * The JSON-RPC endpoint as a feature module: the networks (with their cache tiers), the routes
 * `POST /{network}` (the router's fallback), `GET /healthz` and `GET /readyz`; it starts the
 * networks and closes them. The cache tiers and the upstream event log close later in the
 * drain, so they come as modules of their own (`closers`).
 */
import type { Registry } from 'prom-client';
import { cacheMetrics } from '../cache/cache-metrics.js';
import { type CacheTiers, openCache } from '../cache/open-cache.js';
import type { TurnpikeConfig } from '../config/schema.js';
import type { Drain } from '../http/drain.js';
import type { HttpRequest, ResponseHeaders, ResponseWriter } from '../http/exchange.js';
import { CLOSE_ORDER, type FeatureModule } from '../http/feature-module.js';
import type { HttpRoute, RouteHandler } from '../http/http-router.js';
import { type ResponseContext, send } from '../http/respond.js';
import { logUpstreamEvents } from '../logging/event-log.js';
import type { Logger } from '../logging/logger.js';
import type { Consistency } from '../network/consistency/consistency.js';
import { consistencyMetrics } from '../network/consistency/consistency-metrics.js';
import { Network } from '../network/network.js';
import { upstreamMetrics } from '../network/upstream-metrics.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import type { ProbeReport } from '../upstream/health.js';
import { openConsistency } from './consistency-setup.js';
import { type NetworkRouteContext, routeNetwork } from './network-route.js';
import { readiness } from './readiness.js';

export interface RpcEndpointOptions {
  readonly config: TurnpikeConfig;
  readonly log: Logger;
  readonly drain: Drain;
  /** The tenancy layer once open (keys, plans, keyless limits). */
  readonly tenancy: () => Tenancy | undefined;
  /** See GatewayOptions.probes. @default true */
  readonly probes?: boolean | undefined;
  /** See GatewayOptions.onProbeReport. */
  readonly onProbeReport?: ((network: string, upstream: string, report: ProbeReport) => void) | undefined;
}

export class RpcEndpointModule implements FeatureModule {
  readonly name = 'rpc-endpoint';
  readonly closeOrder = CLOSE_ORDER.networks;
  readonly networks = new Map<string, Network>();
  readonly cache: CacheTiers | undefined;
  readonly routes: readonly HttpRoute[];
  readonly fallback: RouteHandler;
  /** The cache tiers and the upstream event log, which close after tenancy and the metrics. */
  readonly closers: readonly FeatureModule[];
  /** Sessions and directives; undefined unless `consistency.enabled`. */
  readonly consistency: Consistency | undefined;
  private readonly consistencyReady: () => Promise<void>;

  constructor(options: RpcEndpointOptions) {
    const { config, log, drain } = options;
    const serviceIds = new Map<string, Network>();
    const anyCache = Object.values(config.networks).some((network) => network.cache.enabled);
    const cache = anyCache ? openCache(config, log) : undefined;
    this.cache = cache;
    for (const [name, networkConfig] of Object.entries(config.networks)) {
      const publish = options.onProbeReport;
      const network = new Network(
        name,
        networkConfig,
        log,
        {
          probes: options.probes ?? true,
          ...(publish !== undefined && {
            publish: (upstream: string, report: ProbeReport) => publish(name, upstream, report),
          }),
        },
        {
          store: cache?.store,
          ...(cache?.fillLock !== undefined && { fillLock: cache.fillLock }),
          onReorg: (event, invalidated) =>
            log.warn(
              { network: name, fromNumber: event.fromNumber, depth: event.depth, invalidated },
              'reorg: dropped cached answers that depended on orphaned blocks',
            ),
          onTrackerError: (err) => log.debug({ err, network: name }, 'chain tracker poll failed'),
          onHeadSource: (upstream, alive, why) =>
            alive
              ? log.info({ network: name, upstream }, 'upstream WebSocket heads: subscribed')
              : log.warn({ network: name, upstream, why }, 'upstream WebSocket heads: lost (reconnecting)'),
        },
      );
      this.networks.set(name, network);
      for (const id of networkConfig.serviceIds) serviceIds.set(id, network);
    }
    const stopEventLog = logUpstreamEvents(log, new Set(this.networks.values()));
    const consistency = openConsistency(config, this.networks.values(), log);
    this.consistency = consistency?.consistency;
    this.consistencyReady = () => consistency?.ready() ?? Promise.resolve();
    const ctx: NetworkRouteContext = {
      config: config.server,
      draining: drain.isDraining,
      networks: this.networks,
      serviceIds,
      log,
      tenancy: options.tenancy,
      trustedProxies: new Set(config.server.trustedProxies),
      consistency: this.consistency,
    };
    const networks = this.networks;
    this.fallback = (req, res, headers, path) => routeNetwork(ctx, req, res, headers, path);
    this.routes = [
      { method: 'GET', path: '/healthz', handler: (req, res, headers) => healthz(ctx, req, res, headers) },
      {
        method: 'GET',
        path: '/readyz',
        handler: (req, res, headers) => {
          const { ready, detail } = readiness(networks, drain.isDraining());
          send(ctx, req, res, ready ? 200 : 503, JSON.stringify(detail), headers);
          return undefined;
        },
      },
    ];
    this.closers = [
      { name: 'cache', closeOrder: CLOSE_ORDER.cache, close: () => cache?.close() },
      { name: 'upstream-event-log', closeOrder: CLOSE_ORDER.eventLog, close: stopEventLog },
      { name: 'consistency', closeOrder: CLOSE_ORDER.cache, close: () => consistency?.close() },
    ];
  }

  registerMetrics(registry: Registry): void {
    const networks = [...this.networks.values()];
    upstreamMetrics(networks)(registry);
    cacheMetrics(networks, this.cache)(registry);
    consistencyMetrics(this.consistency)(registry);
  }

  isReady(): boolean {
    for (const network of this.networks.values()) if (!network.isReady()) return false;
    return true;
  }

  async start(): Promise<void> {
    await Promise.all([
      ...[...this.networks.values()].map((network) => network.start()),
      this.consistencyReady(),
    ]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.networks.values()].map((network) => network.close()));
  }
}

function healthz(ctx: ResponseContext, req: HttpRequest, res: ResponseWriter, headers: ResponseHeaders) {
  send(ctx, req, res, 200, '{"status":"ok"}', headers);
  return undefined;
}
