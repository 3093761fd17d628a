/**
 * The relayer engine of one process: the key pool (leases, per-key workers, reconciler) and
 * the webhook sender. The HTTP intake is separate (relayer/api/); in a fleet any process may
 * accept, and every process with `relayer.engine` on takes a share of the keys.
 */
import type { RelayerConfig } from '../../config/schema.js';
import type { Logger } from '../../logging/logger.js';
import type { RelayerChain } from '../chains/chain.js';
import type { RelayerStore } from '../relayer-store.js';
import { engineSettings } from './engine-settings.js';
import { EngineStats } from './engine-stats.js';
import { FeeOracle } from './fee-oracle.js';
import { KeyPool } from './key-pool.js';
import { WebhookSender } from './webhook-sender.js';

export interface EngineOptions {
  readonly config: RelayerConfig;
  readonly store: RelayerStore;
  readonly chain: RelayerChain;
  readonly log: Logger;
  readonly share?: { readonly index: number; readonly count: number };
}

export class RelayerEngine {
  readonly stats = new EngineStats();
  readonly pool: KeyPool;
  readonly webhooks: WebhookSender | undefined;

  constructor(options: EngineOptions) {
    const { config, store, chain, log } = options;
    const settings = engineSettings(config, chain.maxBatchSize(BigInt(config.gasCap)));
    this.pool = new KeyPool({
      store,
      chain,
      fees: new FeeOracle(chain),
      stats: this.stats,
      log,
      settings,
      ...(options.share !== undefined && { share: options.share }),
    });
    const webhook = config.webhook;
    this.webhooks = webhook === undefined ? undefined : new WebhookSender(store, webhook, log);
  }

  async start(): Promise<void> {
    await this.pool.start();
    this.webhooks?.start();
  }

  /** The intake stored transfers: wake the idle workers now rather than at their next poll. */
  poke(): void {
    this.pool.poke();
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.webhooks?.close();
  }
}
