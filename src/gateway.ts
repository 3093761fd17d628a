/**
 * `createGateway(config)`: the whole gateway as a library — networks, health, metrics, the
 * HTTP handler, and `listen()` / `close()` with a draining shutdown. It only assembles the
 * feature modules (http/feature-module.ts); each holds its own state and wiring.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AdminModule } from './admin/admin-module.js';
import { resolveConfig } from './config/load.js';
import type { TurnpikeConfig, TurnpikeConfigInput } from './config/schema.js';
import { DashboardModule } from './dashboard/dashboard-module.js';
import type { SnapshotFeed } from './dashboard/sampler.js';
import { Drain } from './http/drain.js';
import { nodeHttpHandler, nodeUpgradeHandler } from './http/http1/node-adapter.js';
import { ModuleHost } from './http/module-host.js';
import type { ResponseContext } from './http/respond.js';
import { createLogger, type Logger } from './logging/logger.js';
import type { GatewayMetrics } from './metrics/registry.js';
import type { Network } from './network/network.js';
import type { RateLimiter } from './ratelimit/limiter.js';
import { RealtimeModule } from './realtime/realtime-module.js';
import { RelayerModule } from './relayer/relayer-module.js';
import type { RelayerStore } from './relayer/relayer-store.js';
import { MetricsModule } from './rpc-endpoint/metrics-module.js';
import { RpcEndpointModule } from './rpc-endpoint/rpc-endpoint-module.js';
import type { Tenancy } from './tenancy/tenancy.js';
import { TenancyModule } from './tenancy/tenancy-module.js';
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
  /** The dashboard's snapshots from the cluster primary; default: sampled in this process. */
  dashboardFeed?: SnapshotFeed;
  /** Signs dashboard session cookies (the same in every cluster worker); default: random per process. */
  dashboardSecret?: Buffer;
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
  /**
   * WebSocket handshakes of that node:http server: `server.on('upgrade', gateway.upgrade)`
   * (docs/websocket.md). A handshake it does not take is answered 404.
   */
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** The WebSocket module (undefined with `realtime.enabled: false`). */
  readonly realtime: RealtimeModule | undefined;
  /** The dashboard module (off, answering 404, without an admin token). */
  readonly dashboard: DashboardModule;
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

/**
 * Assembles the feature modules (module-host.ts runs them): tenancy, admin, the JSON-RPC
 * endpoint with its networks, the relayer, realtime (WebSocket), metrics, the dashboard (it reads
 * the metrics registry). Their order is the start order (tenancy
 * before the admin API and the relayer's, networks before the relayer's engine); where each
 * closes in the drain is its CLOSE_ORDER.
 */
export function createGateway(
  input: TurnpikeConfigInput | TurnpikeConfig,
  options: GatewayOptions = {},
): Gateway {
  const config = resolveConfig(input);
  const logger = options.logger ?? createLogger(config.logging.level);
  const drain = new Drain();
  const response: ResponseContext = { config: config.server, draining: drain.isDraining };
  const tenancy = new TenancyModule({
    config,
    log: logger,
    rateLimiter: options.rateLimiter,
    migrate: options.migrate,
  });
  const admin = new AdminModule({ config, response, log: logger, tenancy: tenancy.tenancy });
  const rpc = new RpcEndpointModule({
    config,
    log: logger,
    drain,
    tenancy: tenancy.tenancy,
    probes: options.probes,
    onProbeReport: options.onProbeReport,
  });
  const relayer = new RelayerModule({
    config,
    log: logger,
    response,
    networks: rpc.networks,
    tenancy: tenancy.tenancy,
    store: options.relayerStore,
    share: options.relayerShare,
    onStored: options.onRelayerStored,
  });
  const realtime = config.realtime.enabled
    ? new RealtimeModule({
        config,
        log: logger,
        networks: rpc.networks,
        tenancy: tenancy.tenancy,
        consistency: () => rpc.consistency,
      })
    : undefined;
  const metrics = new MetricsModule({
    response,
    networks: rpc.networks,
    workerLabel: options.workerLabel,
    drain,
    metricsText: options.metricsText,
  });
  const dashboard = new DashboardModule({
    config,
    response,
    registry: metrics.metrics.registry,
    workerLabel: options.workerLabel ?? '0',
    feed: options.dashboardFeed,
    secret: options.dashboardSecret,
    tenancy: tenancy.tenancy,
    relayerStore: relayer.store,
  });
  const modules = [
    tenancy,
    admin,
    rpc,
    relayer,
    ...(realtime === undefined ? [] : [realtime]),
    metrics,
    dashboard,
  ];
  const host = new ModuleHost([...modules, ...rpc.closers], drain, {
    config: config.server,
    log: logger,
    logRequests: config.logging.requests,
    metricsRegistry: metrics.metrics.registry,
  });

  const gateway: Gateway = {
    config,
    networks: rpc.networks,
    metrics: metrics.metrics,
    logger,
    handler: nodeHttpHandler(host.router.handle, config.server.maxBodyBytes),
    upgrade: nodeUpgradeHandler(host.upgrade),
    realtime,
    dashboard,
    get inflight() {
      return drain.inflight;
    },
    get tenancy() {
      return tenancy.tenancy();
    },
    start: () => host.start(),
    listen: (port = config.server.port, hostname = config.server.host) => host.listen(port, hostname),
    isReady: () => rpc.isReady(),
    pokeRelayer: () => relayer.poke(),
    close: (graceMs = config.server.shutdownGraceMs) => host.close(graceMs),
  };
  return gateway;
}
