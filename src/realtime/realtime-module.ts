/**
 * JSON-RPC over WebSocket as a feature module: takes handshakes on the HTTP port
 * (`/{network}`, `/{network}/{apiKey}`, or the key in `X-Api-Key` / `Authorization`), checks
 * the key and the connection limits before upgrading, and runs every message through the same
 * pipeline as HTTP (socket-session.ts). `ws` (noServer) speaks the protocol. One sweep timer
 * enforces idle timeouts and closes a revoked key's sockets; one heartbeat timer pings.
 * `eth_subscribe` is served from one subscription feed per network (feed/), created on the
 * first subscription and closed with the module.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { type WebSocket, WebSocketServer } from 'ws';
import type { RealtimeConfig, TurnpikeConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { clientIp } from '../http/client-ip.js';
import type { HttpRequest } from '../http/exchange.js';
import { CLOSE_ORDER, type FeatureModule } from '../http/feature-module.js';
import { refuseUpgrade } from '../http/upgrade.js';
import type { Logger } from '../logging/logger.js';
import type { Consistency } from '../network/consistency/consistency.js';
import type { Network } from '../network/network.js';
import { errorResponse } from '../rpc/serialize.js';
import type { Access } from '../tenancy/access.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import { claimIds, connectionClaims, limitError } from './connection-claims.js';
import { type ConnectionClaim, ConnectionCounts } from './connection-counts.js';
import { SubscriptionFeed } from './feed/subscription-feed.js';
import { PendingSource } from './pending-source.js';
import { realtimeMetrics } from './realtime-metrics.js';
import { RealtimeStats, readFeeds } from './realtime-stats.js';
import {
  CLOSE_CODE,
  type Corkable,
  type SessionIdentity,
  type SessionOwner,
  SocketSession,
} from './socket-session.js';

/** How often idle timeouts and revoked keys are checked: revocation closes within 1 s. */
const SWEEP_MS = 250;
/** How long `close` waits for sockets to finish closing before it cuts them. */
const CLOSE_WAIT_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RealtimeModuleOptions {
  readonly config: TurnpikeConfig;
  readonly log: Logger;
  readonly networks: ReadonlyMap<string, Network>;
  /** The tenancy layer once open. */
  readonly tenancy: () => Tenancy | undefined;
  /** Sessions and directives of the JSON-RPC endpoint (undefined when off). */
  readonly consistency?: (() => Consistency | undefined) | undefined;
}

export class RealtimeModule implements FeatureModule, SessionOwner {
  readonly name = 'realtime';
  readonly configSection = 'realtime';
  readonly closeOrder = CLOSE_ORDER.realtime;
  readonly stats = new RealtimeStats();
  readonly config: RealtimeConfig;
  readonly maxBatchSize: number;
  readonly log: Logger;
  readonly tenancy: () => Tenancy | undefined;
  readonly consistency: () => Consistency | undefined;
  private readonly networks: ReadonlyMap<string, Network>;
  private readonly trustedProxies: ReadonlySet<string>;
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<SocketSession>();
  private readonly byKey = new Map<string, Set<SocketSession>>();
  /** Connections per key and IP, fleet-wide with the tenancy's Redis (made in `start`). */
  private counts = new ConnectionCounts();
  private sweeps = 0;
  /** One subscription feed per network, made on its first subscription. */
  private readonly feeds = new Map<string, SubscriptionFeed>();
  /** Keys whose lookup (a cache miss) is under way in the sweep. */
  private readonly checking = new Set<string>();
  private draining = false;
  private sweeper: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(options: RealtimeModuleOptions) {
    this.config = options.config.realtime;
    this.maxBatchSize = options.config.server.maxBatchSize;
    this.log = options.log;
    this.tenancy = options.tenancy;
    this.consistency = options.consistency ?? (() => undefined);
    this.networks = options.networks;
    this.trustedProxies = new Set(options.config.server.trustedProxies);
    readFeeds(this.stats, this.feeds);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: this.config.maxMessageBytes,
      perMessageDeflate: this.config.perMessageDeflate,
    });
  }

  /** Takes one handshake (http/upgrade.ts): refuses it with an HTTP answer, or upgrades it. */
  readonly upgrade = (request: HttpRequest, socket: Duplex, head: Buffer): void => {
    const path = pathOf(request.url);
    const slash = path.indexOf('/', 1);
    const name = slash === -1 ? path.slice(1) : path.slice(1, slash);
    const network = this.networks.get(name);
    if (this.draining || network === undefined) {
      this.refuse(socket, this.draining ? drainingError() : networkError(name, path));
      return;
    }
    const ip = clientIp(request, this.trustedProxies);
    const found = this.tenancy()?.authenticate(name, path, request.headers, ip);
    if (found instanceof Promise)
      found.then(
        (settled) => this.admit(request, socket, head, { network, path, ip }, settled),
        () => socket.destroy(),
      );
    else this.admit(request, socket, head, { network, path, ip }, found);
  };

  registerMetrics(registry: Registry): void {
    realtimeMetrics(this.stats)(registry);
  }

  start(): Promise<void> {
    const tenancy = this.tenancy();
    this.counts = new ConnectionCounts({
      redis: tenancy?.parts.redis,
      prefix: tenancy?.config.storage.redisKeyPrefix,
      onFailure: (err) => {
        this.stats.registryFailures++;
        this.log.debug(
          { err },
          'WebSocket connection count not shared (Redis); the per-process limit applied',
        );
      },
    });
    const now = () => performance.now();
    this.sweeper ??= setInterval(() => this.sweep(now()), SWEEP_MS);
    this.sweeper.unref();
    this.heartbeat ??= setInterval(() => {
      for (const session of this.sessions) session.heartbeat();
    }, this.config.heartbeatMs);
    this.heartbeat.unref();
    return Promise.resolve();
  }

  /** Stops taking handshakes; every socket answers what is in flight, then closes with 1001. */
  drain(): void {
    this.draining = true;
    for (const session of this.sessions) session.drain();
  }

  /**
   * After the drain: lets sockets still finishing their close handshake (embedded on node:http,
   * nothing waited for them) have up to CLOSE_WAIT_MS, then cuts what is still open.
   */
  async close(): Promise<void> {
    this.draining = true;
    for (const session of this.sessions) session.drain();
    const deadline = performance.now() + CLOSE_WAIT_MS;
    while (this.sessions.size > 0 && performance.now() < deadline) await sleep(10);
    clearInterval(this.sweeper);
    clearInterval(this.heartbeat);
    for (const session of this.sessions) {
      session.ws.terminate();
      // Before tenancy closes (its meter writes last): 'close' may come after that.
      session.flushUsage();
    }
    this.wss.close();
    await this.counts.close();
    const feeds = [...this.feeds.values()];
    this.feeds.clear();
    await Promise.all(feeds.map((feed) => feed.close()));
  }

  /** The network's subscription feed (made on first use), or why it has none. */
  feedFor(network: Network): SubscriptionFeed | GatewayError {
    const known = this.feeds.get(network.name);
    if (known !== undefined) return known;
    if (network.family !== 'evm')
      return new GatewayError(
        'ERR_METHOD_NOT_SUPPORTED',
        `${network.name} is a ${network.family.toUpperCase()} network: subscriptions are EVM's eth_subscribe`,
      );
    const tracker = network.tracker;
    if (this.draining)
      return new GatewayError(
        'ERR_REALTIME_FEED_CLOSED',
        `the subscription feed of ${network.name} is closed`,
      );
    const { log } = this;
    const feed = new SubscriptionFeed({
      network: network.name,
      chain: {
        follow: (watcher) => network.followChain(watcher),
        hashAt: (number) => tracker.hashAt(number),
        head: () => (tracker.head < 0 ? undefined : tracker.head),
      },
      rpc: (method, params) => network.read(method, params),
      onError: (err) => log.warn({ network: network.name, err }, 'subscription feed read failed (retried)'),
      pendingSource: pendingSourceFor(network, log),
      onPublished: (ms) => this.stats.feedPublished(network.name, ms / 1000),
    });
    this.feeds.set(network.name, feed);
    return feed;
  }

  /** The network's feed if one was made (tests, diagnostics). */
  feedOf(name: string): SubscriptionFeed | undefined {
    return this.feeds.get(name);
  }

  /** Sockets open now, for tests and diagnostics. */
  get connections(): number {
    return this.sessions.size;
  }

  closed(session: SocketSession): void {
    if (!this.sessions.delete(session)) return;
    this.stats.connections = this.sessions.size;
    const { keyId, ip } = session.identity;
    if (keyId !== undefined) {
      const sessions = this.byKey.get(keyId);
      sessions?.delete(session);
      if (sessions?.size === 0) this.byKey.delete(keyId);
    }
    this.counts.release(claimIds(ip, keyId));
  }

  /** After authentication: the limits (fleet-wide with Redis), then the protocol handshake. */
  private admit(
    request: HttpRequest,
    socket: Duplex,
    head: Buffer,
    where: { network: Network; path: string; ip: string | undefined },
    found: Access | GatewayError | undefined,
  ): void {
    if (socket.destroyed) return;
    if (found instanceof GatewayError || this.draining) {
      this.refuse(socket, found instanceof GatewayError ? found : drainingError());
      return;
    }
    const keyId = found?.entry?.grant.key.id;
    const claims = connectionClaims(this.config, where.ip, keyId);
    const identity: SessionIdentity = { ...where, headers: request.headers, keyId };
    const full = this.counts.acquire(claims);
    if (full instanceof Promise)
      full.then(
        (settled) => this.upgrade101(request, socket, head, identity, settled),
        () => {
          this.counts.release(claimIds(where.ip, keyId));
          socket.destroy();
        },
      );
    else this.upgrade101(request, socket, head, identity, full);
  }

  /** The limits have answered: refuses, or completes the WebSocket handshake. */
  private upgrade101(
    request: HttpRequest,
    socket: Duplex,
    head: Buffer,
    identity: SessionIdentity,
    full: ConnectionClaim | undefined,
  ): void {
    if (full !== undefined) {
      this.refuse(socket, limitError(full));
      return;
    }
    let opened = false;
    if (!socket.destroyed && !this.draining)
      // ws reads only `method` and `headers` of the request; it calls back at once or not at all.
      this.wss.handleUpgrade(request as unknown as IncomingMessage, socket, head, (ws) => {
        opened = true;
        this.opened(ws, identity, socket);
      });
    if (!opened) {
      this.counts.release(claimIds(identity.ip, identity.keyId));
      if (this.draining && !socket.destroyed) this.refuse(socket, drainingError());
      return;
    }
    socket.resume();
  }

  private opened(ws: WebSocket, identity: SessionIdentity, socket: Corkable): void {
    const session = new SocketSession(ws, identity, this, socket);
    this.sessions.add(session);
    this.stats.connections = this.sessions.size;
    const { keyId } = identity;
    if (keyId !== undefined) {
      let sessions = this.byKey.get(keyId);
      if (sessions === undefined) {
        sessions = new Set();
        this.byKey.set(keyId, sessions);
      }
      sessions.add(session);
    }
  }

  private refuse(socket: Duplex, error: GatewayError): void {
    this.stats.refuse(error.code);
    socket.on('error', () => socket.destroy());
    const headers = error.httpStatus === 401 ? { 'www-authenticate': 'Bearer realm="turnpike"' } : {};
    refuseUpgrade(socket, error.httpStatus, errorResponse(null, error), headers);
  }

  private sweep(now: number): void {
    for (const session of this.sessions) session.sweep(now);
    this.checkKeys();
    // Every second: renew this process's connection counts in Redis (their lease is 5 s).
    if (++this.sweeps % 4 === 0) this.counts.refresh();
  }

  /** One lookup per key with open sockets: a revoked key's sockets close with 4001. */
  private checkKeys(): void {
    const tenancy = this.tenancy();
    if (tenancy === undefined || this.byKey.size === 0) return;
    for (const [keyId, sessions] of this.byKey) {
      if (this.checking.has(keyId)) continue;
      const first = sessions.values().next().value;
      if (first === undefined) continue;
      const { network, path, headers, ip } = first.identity;
      const found = tenancy.authenticate(network.name, path, headers, ip);
      if (!(found instanceof Promise)) {
        this.keyChecked(keyId, found);
        continue;
      }
      if (this.checking.has(keyId)) continue;
      this.checking.add(keyId);
      found
        .then((settled) => this.keyChecked(keyId, settled))
        .catch(() => undefined)
        .finally(() => this.checking.delete(keyId));
    }
  }

  private keyChecked(keyId: string, found: Access | GatewayError): void {
    if (!(found instanceof GatewayError) || found.code !== 'ERR_AUTH_INVALID_KEY') return;
    for (const session of this.byKey.get(keyId) ?? [])
      session.close(CLOSE_CODE.keyRevoked, 'API key revoked');
  }
}

/** The factory of the network's `newPendingTransactions` source; undefined when no upstream has a wsUrl. */
function pendingSourceFor(network: Network, log: Logger) {
  const upstreams = network.upstreams.filter((upstream) => upstream.ws !== undefined);
  if (upstreams.length === 0) return undefined;
  return (onHash: (hash: string) => void) =>
    new PendingSource({
      upstreams,
      onHash,
      onState: (upstream, alive, why) =>
        alive
          ? log.info({ network: network.name, upstream }, 'upstream newPendingTransactions: subscribed')
          : log.warn({ network: network.name, upstream, why }, 'upstream newPendingTransactions: lost'),
    });
}

function drainingError(): GatewayError {
  return new GatewayError('ERR_REALTIME_DRAINING', 'the server is shutting down');
}

function networkError(name: string, path: string): GatewayError {
  return name === ''
    ? new GatewayError('ERR_ROUTE_NOT_FOUND', `no route for GET ${path}`)
    : new GatewayError('ERR_NETWORK_NOT_FOUND', `network "${name}" is not configured`);
}

/** The path without its query. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
