/**
 * Runs the feature modules of one gateway: starts them in two phases, routes their requests,
 * serves them on Turnpike's HTTP/1.1 server, and drains on close (stop accepting, let in-flight
 * requests finish up to the grace period, then close the modules in CLOSE_ORDER).
 */
import type { Registry } from 'prom-client';
import type { ServerConfig } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import type { Drain } from './drain.js';
import type { FeatureModule } from './feature-module.js';
import { type HttpRoute, HttpRouter, type RouteHandler } from './http-router.js';
import { Http1Server } from './http1/server.js';
import type { UpgradeHandler } from './upgrade.js';

export interface ModuleHostOptions {
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly logRequests: boolean;
  /** Where modules register their collectors. */
  readonly metricsRegistry?: Registry;
}

export class ModuleHost {
  readonly router: HttpRouter;
  /** The module that takes WebSocket handshakes; undefined when none does. */
  readonly upgrade: UpgradeHandler | undefined;
  private started: Promise<void> | undefined;
  private server: Http1Server | undefined;

  constructor(
    private readonly modules: readonly FeatureModule[],
    readonly drain: Drain,
    private readonly options: ModuleHostOptions,
  ) {
    const routes: HttpRoute[] = [];
    let fallback: RouteHandler | undefined;
    let upgrade: UpgradeHandler | undefined;
    for (const module of modules) {
      if (module.routes !== undefined) routes.push(...module.routes);
      if (module.upgrade !== undefined) {
        if (upgrade !== undefined) throw new Error(`a second upgrade handler, from ${module.name}`);
        upgrade = module.upgrade;
      }
      if (module.fallback === undefined) continue;
      if (fallback !== undefined) throw new Error(`a second fallback route, from ${module.name}`);
      fallback = module.fallback;
    }
    if (fallback === undefined) throw new Error('no module gives the fallback route');
    this.upgrade = upgrade;
    this.router = new HttpRouter({
      config: options.config,
      drain,
      log: options.log,
      logRequests: options.logRequests,
      routes,
      fallback,
    });
    const registry = options.metricsRegistry;
    if (registry !== undefined) for (const module of modules) module.registerMetrics?.(registry);
  }

  /** Opens every module, then starts every module, each in the order given; once. */
  start(): Promise<void> {
    this.started ??= (async () => {
      for (const module of this.modules) await module.open?.();
      for (const module of this.modules) await module.start?.();
    })();
    return this.started;
  }

  async listen(port: number, host: string): Promise<{ url: string; port: number }> {
    await this.start();
    const config = this.options.config;
    const { maxBodyBytes, maxHeaderBytes, headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = config;
    const listening = new Http1Server(
      {
        maxBodyBytes,
        maxHeaderBytes,
        headersTimeoutMs,
        requestTimeoutMs,
        keepAliveTimeoutMs,
        maxConnections: config.maxConnections,
        maxBufferedRequestBytes: config.maxBufferedRequestBytes,
        serverTiming: config.serverTiming,
      },
      this.router.handle,
      this.upgrade,
    );
    this.server = listening;
    const address = await listening.listen(port, host);
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return { url: `http://${shownHost}:${address.port}`, port: address.port };
  }

  async close(graceMs: number): Promise<void> {
    this.drain.begin();
    // E.g. requests held by the relayer's `?wait=` answer 202 now instead of holding the
    // shutdown for graceMs.
    for (const module of this.modules) module.drain?.();
    // Stops accepting and closes idle connections. A busy one closes once its response is
    // flushed to the client, and one still receiving a request first answers it; so wait for
    // every connection to be gone (and every request handed in through `handler`), not merely
    // for the in-flight count to reach zero, which happens before the bytes are out.
    const server = this.server;
    const closing = server?.close() ?? Promise.resolve();
    const handlersDone = this.drain.whenIdle();
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
    const closers = this.modules
      .filter((module) => module.close !== undefined)
      .sort((a, b) => (a.closeOrder ?? LAST) - (b.closeOrder ?? LAST));
    for (const module of closers) await module.close?.();
  }
}

/** A module that closes without saying where closes last. */
const LAST = Number.MAX_SAFE_INTEGER;
