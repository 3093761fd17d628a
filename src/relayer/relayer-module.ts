/**
 * The relayer as a feature module, when `relayer.enabled`: its store (opened here unless the
 * caller hands one), its HTTP API mounted on the relayer's paths (relayer-paths.ts), and its
 * engine once the networks run. Until the API is open its paths answer 503
 * ERR_RELAYER_UNAVAILABLE. In the drain, `?wait=` requests answer at once, and the intake's
 * last commit goes out before the engine and the store close.
 */
import type { Registry } from 'prom-client';
import { databaseLocation } from '../config/effective-settings.js';
import type { TurnpikeConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { CLOSE_ORDER, type FeatureModule } from '../http/feature-module.js';
import type { HttpRoute, RouteHandler } from '../http/http-router.js';
import { type ResponseContext, sendError } from '../http/respond.js';
import type { Logger } from '../logging/logger.js';
import type { Network } from '../network/network.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import { createRelayerApi, type RelayerApi } from './api/relayer-api.js';
import { RELAYER_MOUNTS } from './api/relayer-paths.js';
import type { RelayerEngine } from './engine/engine.js';
import { openRelayerEngine } from './open-relayer-engine.js';
import { relayerEngineMetrics } from './relayer-engine-metrics.js';
import type { RelayerStore } from './relayer-store.js';
import { openRelayerStore } from './sql-relayer-store.js';

export interface RelayerModuleOptions {
  readonly config: TurnpikeConfig;
  readonly log: Logger;
  readonly response: ResponseContext;
  readonly networks: ReadonlyMap<string, Network>;
  /** The tenancy layer once open (the tenancy module opens before this one). */
  readonly tenancy: () => Tenancy | undefined;
  /** A store the caller owns (and closes); default: one on `storage`, opened and closed here. */
  readonly store?: RelayerStore | undefined;
  /** This process's share of the relayer keys (cluster workers). */
  readonly share?: { readonly index: number; readonly count: number } | undefined;
  /** Called after each intake commit that stored transfers. */
  readonly onStored?: (() => void) | undefined;
}

export class RelayerModule implements FeatureModule {
  readonly name = 'relayer';
  readonly configSection = 'relayer';
  readonly closeOrder = CLOSE_ORDER.relayer;
  readonly routes: readonly HttpRoute[];
  private api: RelayerApi | undefined;
  private openedStore: RelayerStore | undefined;
  private openedEngine: RelayerEngine | undefined;
  private registry: Registry | undefined;
  /** For the metrics: the engine of this process, once started. */
  readonly engine = (): RelayerEngine | undefined => this.openedEngine;
  /** For the metrics: the store, once open. */
  readonly store = (): RelayerStore | undefined => this.openedStore;

  constructor(private readonly options: RelayerModuleOptions) {
    const response = options.response;
    const handler: RouteHandler = (req, res, headers, path) => {
      if (this.api !== undefined) return this.api.handle(req, res, headers, path);
      const error = new GatewayError('ERR_RELAYER_UNAVAILABLE', 'the relayer is starting; retry shortly');
      sendError(response, req, res, error, null, headers);
      return undefined;
    };
    this.routes = options.config.relayer.enabled
      ? RELAYER_MOUNTS.map((mount) => ({ method: mount.method, path: mount.path, handler }))
      : [];
  }

  registerMetrics(registry: Registry): void {
    relayerEngineMetrics(this.engine, this.store)(registry);
    // The intake's collectors are made with the API, in open().
    this.registry = registry;
  }

  async open(): Promise<void> {
    const { config, log, networks } = this.options;
    if (!config.relayer.enabled) return;
    const store =
      this.options.store ??
      (await openRelayerStore(
        { ...config.storage, database: databaseLocation(config.storage) },
        { webhooks: config.relayer.webhook !== undefined },
      ));
    this.openedStore = store;
    const registry = this.registry;
    this.api = createRelayerApi({
      config,
      store,
      tenancy: this.options.tenancy(),
      log,
      metrics: registry === undefined ? undefined : { registry },
      draining: this.options.response.draining,
      onStored: () => {
        this.openedEngine?.poke();
        this.options.onStored?.();
      },
      ready: () => networks.get(config.relayer.network ?? '')?.isReady() ?? false,
    });
  }

  /** After the networks started: the engine calls them. */
  async start(): Promise<void> {
    const { config, log, networks, share } = this.options;
    const store = this.openedStore;
    if (!config.relayer.enabled || !config.relayer.engine || store === undefined) return;
    this.openedEngine = await openRelayerEngine({
      config,
      networks,
      store,
      log,
      ...(share !== undefined && { share }),
    });
  }

  /** Wakes this process's engine (transfers were stored elsewhere); a no-op without one. */
  poke(): void {
    this.openedEngine?.poke();
  }

  drain(): void {
    // Requests held by `?wait=` answer 202 now instead of holding the shutdown for graceMs.
    this.api?.endWaits();
  }

  async close(): Promise<void> {
    await this.api?.close();
    await this.openedEngine?.close();
    if (this.options.store === undefined) await this.openedStore?.close();
  }
}
