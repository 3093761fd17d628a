/**
 * `createGateway(config)`: the whole gateway as a library — networks, health, metrics, the
 * HTTP handler, and `listen()` / `close()` with a draining shutdown.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAdminRoute } from './admin/admin-route.js';
import { cacheMetrics } from './cache/cache-metrics.js';
import { type CacheTiers, openCache } from './cache/open-cache.js';
import { databaseLocation } from './config/effective-settings.js';
import { resolveConfig } from './config/load.js';
import type { TurnpikeConfig, TurnpikeConfigInput } from './config/schema.js';
import { GatewayError } from './errors/gateway-error.js';
import { nodeHttpHandler } from './http/http1/node-adapter.js';
import { Http1Server } from './http/http1/server.js';
import { sendError } from './http/respond.js';
import { logUpstreamEvents } from './logging/event-log.js';
import { createLogger, type Logger } from './logging/logger.js';
import { createMetrics, type GatewayMetrics } from './metrics/registry.js';
import { Network } from './network/network.js';
import { upstreamMetrics } from './network/upstream-metrics.js';
import type { RateLimiter } from './ratelimit/limiter.js';
import { createRelayerApi, type RelayerApi } from './relayer/api/relayer-api.js';
import type { RelayerEngine } from './relayer/engine/engine.js';
import { openRelayerEngine } from './relayer/open-relayer-engine.js';
import { relayerEngineMetrics } from './relayer/relayer-engine-metrics.js';
import type { RelayerStore } from './relayer/relayer-store.js';
import { openRelayerStore } from './relayer/sql-relayer-store.js';
import type { AdminHandler } from './rpc-endpoint/router.js';
import { createRouter } from './rpc-endpoint/router.js';
import { needsTenancy, openTenancy } from './tenancy/open-tenancy.js';
import type { Tenancy } from './tenancy/tenancy.js';
import { tenancyMetrics } from './tenancy/tenancy-metrics.js';
import type { ProbeReport } from './upstream/health.js';

export interface GatewayOptions {
  logger?: Logger;
  /** Replaces the local registry's text (cluster workers ask the primary for the aggregate). */
  metricsText?: () => Promise<{ contentType: string; body: string }>;
  /** Label for per-worker metrics. @default "0" */
  workerLabel?: string;
  /**
   * Whether this gateway runs the periodic upstream probes (it always checks once at start) and
   * decides when an upstream is back. Cluster workers other than the first set it to false and
   * get the first one's findings through `onProbeReport` / `Network.applyProbeReport`.
   * @default true
   */
  probes?: boolean;
  /**
   * Receives what this process learned about an upstream, to share with other processes: the
   * prober's heads and chain ids, and any change of an upstream's up/down state. Setting it
   * also makes this process apply such reports (see upstream/shared-health.ts).
   */
  onProbeReport?: (network: string, upstream: string, report: ProbeReport) => void;
  /**
   * Rate limiter shared with other processes (cluster workers lease from the primary).
   * Default: Redis when configured, else in-process.
   */
  rateLimiter?: RateLimiter;
  /** Run database migrations in `start()` (the cluster primary has done it). @default true */
  migrate?: boolean;
  /**
   * The relayer's store (tests wrap one to count commits). Default with `relayer.enabled`: a
   * SqlRelayerStore on `storage`, opened in `start()` and closed in `close()`.
   */
  relayerStore?: RelayerStore;
  /** This process's place among the cluster's workers, so each takes its share of the relayer keys first. */
  relayerShare?: { readonly index: number; readonly count: number };
  /** Called after each intake commit that stored transfers (the cluster wakes the engine worker). */
  onRelayerStored?: () => void;
}

export interface Gateway {
  readonly config: TurnpikeConfig;
  readonly networks: ReadonlyMap<string, Network>;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** The tenancy layer once `start()` has opened it (undefined when tenancy is off). */
  readonly tenancy: Tenancy | undefined;
  /**
   * Handles one request of a node:http server you own (`http.createServer(gateway.handler)`);
   * call `start()` first. `listen()` uses Turnpike's own, faster HTTP/1.1 server instead.
   */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Checks upstream chain ids and starts health monitoring (once). */
  start(): Promise<void>;
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  isReady(): boolean;
  readonly inflight: number;
  /** Stops accepting, lets in-flight requests finish up to `graceMs`, then closes everything. */
  close(graceMs?: number): Promise<void>;
  /** Wakes this process's relayer engine (transfers were stored elsewhere); a no-op without one. */
  pokeRelayer(): void;
}

export function createGateway(
  input: TurnpikeConfigInput | TurnpikeConfig,
  options: GatewayOptions = {},
): Gateway {
  const config = resolveConfig(input);
  const logger = options.logger ?? createLogger(config.logging.level);
  const networks = new Map<string, Network>();
  const serviceIds = new Map<string, Network>();
  const anyCache = Object.values(config.networks).some((network) => network.cache.enabled);
  const cache: CacheTiers | undefined = anyCache ? openCache(config, logger) : undefined;
  for (const [name, networkConfig] of Object.entries(config.networks)) {
    const publish = options.onProbeReport;
    const network = new Network(
      name,
      networkConfig,
      logger,
      {
        probes: options.probes ?? true,
        ...(publish !== undefined && {
          publish: (upstream: string, report: ProbeReport) => publish(name, upstream, report),
        }),
      },
      cache === undefined
        ? undefined
        : {
            store: cache.store,
            ...(cache.fillLock !== undefined && { fillLock: cache.fillLock }),
            onReorg: (event, invalidated) =>
              logger.warn(
                { network: name, fromNumber: event.fromNumber, depth: event.depth, invalidated },
                'reorg: dropped cached answers that depended on orphaned blocks',
              ),
            onTrackerError: (err) => logger.debug({ err, network: name }, 'chain tracker poll failed'),
          },
    );
    networks.set(name, network);
    for (const id of networkConfig.serviceIds) serviceIds.set(id, network);
  }
  const metrics = createMetrics({
    workerLabel: options.workerLabel ?? '0',
    readInflight: () => inflight,
    owners: networks.values(),
  });
  // Each module's metrics, registered in one place.
  metrics.register(upstreamMetrics([...networks.values()]));
  metrics.register(tenancyMetrics(() => tenancy));
  metrics.register(cacheMetrics([...networks.values()], cache));
  metrics.register(
    relayerEngineMetrics(
      () => relayerEngine,
      () => relayerStore,
    ),
  );
  const stopEventLog = logUpstreamEvents(logger, new Set(networks.values()));
  let draining = false;
  let inflight = 0;
  let started: Promise<void> | undefined;
  let server: Http1Server | undefined;
  let idle: (() => void) | undefined;
  let tenancy: Tenancy | undefined;
  let admin: AdminHandler | undefined;
  let relayerStore: RelayerStore | undefined;
  let relayerApi: RelayerApi | undefined;
  let relayerEngine: RelayerEngine | undefined;

  const isReady = () => [...networks.values()].every((network) => network.isReady());
  const route = createRouter({
    config: config.server,
    draining: () => draining,
    networks,
    serviceIds,
    log: logger,
    metricsText:
      options.metricsText ??
      (async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() })),
    readiness: () => readiness(networks, draining),
    logRequests: config.logging.requests,
    tenancy: () => tenancy,
    trustedProxies: new Set(config.server.trustedProxies),
    admin: (req, res, headers, path) => {
      if (admin !== undefined) return admin(req, res, headers, path);
      sendError(
        { config: config.server, draining: () => draining },
        req,
        res,
        new GatewayError(
          'ERR_ROUTE_NOT_FOUND',
          'the admin API is off: enable tenancy and set an admin token',
        ),
        null,
        headers,
      );
      return undefined;
    },
    ...(config.relayer.enabled && {
      relayer: (req, res, headers, path) => {
        if (relayerApi !== undefined) return relayerApi.handle(req, res, headers, path);
        sendError(
          { config: config.server, draining: () => draining },
          req,
          res,
          new GatewayError('ERR_RELAYER_UNAVAILABLE', 'the relayer is starting; retry shortly'),
          null,
          headers,
        );
        return undefined;
      },
    }),
    inflight: {
      inc: () => {
        inflight++;
      },
      dec: () => {
        inflight--;
        if (inflight === 0) idle?.();
      },
    },
  });

  const gateway: Gateway = {
    config,
    networks,
    metrics,
    logger,
    handler: nodeHttpHandler(route, config.server.maxBodyBytes),
    get inflight() {
      return inflight;
    },
    get tenancy() {
      return tenancy;
    },
    start() {
      started ??= (async () => {
        if (needsTenancy(config)) {
          tenancy = await openTenancy(config, logger, {
            ...(options.rateLimiter !== undefined && { limiter: options.rateLimiter }),
            migrate: options.migrate ?? true,
          });
          await tenancy.start();
          admin = createAdminRoute(
            config,
            tenancy,
            { config: config.server, draining: () => draining },
            { log: logger },
          );
        }
        if (config.relayer.enabled) {
          relayerStore =
            options.relayerStore ??
            (await openRelayerStore(
              { ...config.storage, database: databaseLocation(config.storage) },
              { webhooks: config.relayer.webhook !== undefined },
            ));
          relayerApi = createRelayerApi({
            config,
            store: relayerStore,
            tenancy,
            log: logger,
            metrics,
            draining: () => draining,
            onStored: () => {
              relayerEngine?.poke();
              options.onRelayerStored?.();
            },
            ready: () => networks.get(config.relayer.network ?? '')?.isReady() ?? false,
          });
        }
        await Promise.all([...networks.values()].map((network) => network.start()));
        if (config.relayer.enabled && config.relayer.engine && relayerStore !== undefined) {
          relayerEngine = await openRelayerEngine({
            config,
            networks,
            store: relayerStore,
            log: logger,
            ...(options.relayerShare !== undefined && { share: options.relayerShare }),
          });
        }
      })();
      return started;
    },
    async listen(port = config.server.port, host = config.server.host) {
      await gateway.start();
      const { maxBodyBytes, maxHeaderBytes, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } =
        config.server;
      const listening = new Http1Server(
        {
          maxBodyBytes,
          maxHeaderBytes,
          headersTimeoutMs,
          requestTimeoutMs,
          keepAliveTimeoutMs,
          maxConnections: config.server.maxConnections,
          maxBufferedRequestBytes: config.server.maxBufferedRequestBytes,
          serverTiming: config.server.serverTiming,
        },
        route,
      );
      server = listening;
      const address = await listening.listen(port, host);
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return { url: `http://${shownHost}:${address.port}`, port: address.port };
    },
    isReady,
    pokeRelayer: () => relayerEngine?.poke(),
    async close(graceMs = config.server.shutdownGraceMs) {
      draining = true;
      // Requests held by `?wait=` answer 202 now instead of holding the shutdown for graceMs.
      relayerApi?.endWaits();
      // Stops accepting and closes idle connections. A busy one closes once its response is
      // flushed to the client, and one still receiving a request first answers it; so wait for
      // every connection to be gone (and every request handed in through `handler`), not merely
      // for the in-flight count to reach zero, which happens before the bytes are out.
      const closing = server?.close() ?? Promise.resolve();
      const handlersDone =
        inflight === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              idle = resolve;
            });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([closing, handlersDone]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      server?.destroyAll();
      await closing;
      await relayerApi?.close();
      await relayerEngine?.close();
      if (options.relayerStore === undefined) await relayerStore?.close();
      await Promise.all([...networks.values()].map((network) => network.close()));
      // After the last answer: the meter's final flush then covers every request served.
      await tenancy?.close();
      await cache?.close();
      metrics.close();
      stopEventLog();
    },
  };
  return gateway;
}

function readiness(networks: ReadonlyMap<string, Network>, draining: boolean) {
  const detail: Record<string, unknown> = {};
  let ready = !draining;
  for (const [name, network] of networks) {
    const networkReady = network.isReady();
    ready &&= networkReady;
    detail[name] = {
      ready: networkReady,
      upstreams: network.upstreams.map((upstream) => ({
        id: upstream.id,
        url: upstream.displayUrl,
        available: upstream.isAvailable(),
        breaker: upstream.breaker.state,
        head: upstream.head,
        excluded: upstream.exclusionReason ?? null,
        inflight: upstream.inflight,
        errorRate: Number(upstream.breaker.errorRate().toFixed(4)),
        latencyMs: Number(upstream.latency.ewmaMs.toFixed(3)),
        penaltyMs: Number(upstream.latency.penaltyMs().toFixed(3)),
      })),
    };
  }
  return { ready, detail: { ready, draining, networks: detail } };
}
