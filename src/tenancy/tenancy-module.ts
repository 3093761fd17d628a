/**
 * Tenancy as a feature module: opens the tenancy layer (store, limiter, key cache, meter,
 * change watcher) when the config needs it, and closes it after the networks, so the meter's
 * final flush covers every request served.
 */
import type { Registry } from 'prom-client';
import type { TurnpikeConfig } from '../config/schema.js';
import { CLOSE_ORDER, type FeatureModule } from '../http/feature-module.js';
import type { Logger } from '../logging/logger.js';
import type { RateLimiter } from '../ratelimit/limiter.js';
import { needsTenancy, openTenancy } from './open-tenancy.js';
import type { Tenancy } from './tenancy.js';
import { tenancyMetrics } from './tenancy-metrics.js';

export interface TenancyModuleOptions {
  readonly config: TurnpikeConfig;
  readonly log: Logger;
  /** A limiter shared across processes (cluster leases). */
  readonly rateLimiter?: RateLimiter | undefined;
  /** Run migrations on open. @default true */
  readonly migrate?: boolean | undefined;
}

export class TenancyModule implements FeatureModule {
  readonly name = 'tenancy';
  readonly configSection = 'tenancy';
  readonly closeOrder = CLOSE_ORDER.tenancy;
  private opened: Tenancy | undefined;
  /** The tenancy layer once open; undefined before, and when nothing needs it. */
  readonly tenancy = (): Tenancy | undefined => this.opened;

  constructor(private readonly options: TenancyModuleOptions) {}

  registerMetrics(registry: Registry): void {
    tenancyMetrics(this.tenancy)(registry);
  }

  async open(): Promise<void> {
    const { config, log, rateLimiter } = this.options;
    if (!needsTenancy(config)) return;
    const tenancy = await openTenancy(config, log, {
      ...(rateLimiter !== undefined && { limiter: rateLimiter }),
      migrate: this.options.migrate ?? true,
    });
    this.opened = tenancy;
    await tenancy.start();
  }

  async close(): Promise<void> {
    await this.opened?.close();
  }
}
