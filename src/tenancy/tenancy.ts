/**
 * The tenancy layer of one gateway process: turns a request into an `Access` (or a 401), and
 * keeps the key cache, balances and usage meter fresh in the background. Built by
 * `openTenancy()` from the config; the request path never waits on the database for a key it
 * has seen before.
 */
import type { NetworkConfig, TurnpikeConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { RequestHeaders } from '../http/exchange.js';
import type { Logger } from '../logging/logger.js';
import type { RateLimiter, RateRule } from '../ratelimit/limiter.js';
import type { RedisClient } from '../store/redis.js';
import { Access } from './access.js';
import type { ChangeWatcher } from './change-watcher.js';
import { extractApiKey } from './extract-key.js';
import type { KeyCache, KeyEntry } from './key-cache.js';
import type { TenancyStore } from './model.js';
import type { UsageMeter } from './usage-meter.js';

interface NetworkAccess {
  readonly keyless: boolean;
  readonly keylessRule: RateRule | undefined;
}

export interface TenancyParts {
  readonly store: TenancyStore | undefined;
  readonly keys: KeyCache | undefined;
  readonly meter: UsageMeter | undefined;
  readonly changes: ChangeWatcher | undefined;
  readonly limiter: RateLimiter;
  /** The Redis connection of rate limits, when configured (shared WebSocket connection counts use it too). */
  readonly redis?: RedisClient | undefined;
  /** With Redis and `rateLimitFailure: local`: the live fleet size the fallback divides limits by. */
  readonly fleet?: { readonly size: number } | undefined;
  /** Announces an admin change to every instance (Redis pub/sub), after refreshing this one. */
  readonly publishChange: () => Promise<void>;
  /** Closes connections the parts do not own (database, Redis). */
  readonly closeResources: () => Promise<void>;
}

export class Tenancy {
  private readonly access = new Map<string, NetworkAccess>();
  private balanceTimer: NodeJS.Timeout | undefined;
  /** Requests refused before reaching a network (401), by code. */
  readonly authFailures = { missing: 0, invalid: 0, unavailable: 0 };
  /** Rate-limit decisions the shared backend (Redis, cluster primary) could not make. */
  rateLimitFailures = 0;

  constructor(
    readonly config: TurnpikeConfig,
    readonly parts: TenancyParts,
    private readonly log: Logger,
  ) {
    for (const [name, network] of Object.entries(config.networks))
      this.access.set(name, networkAccess(network, config.tenancy.enabled));
  }

  get enabled(): boolean {
    return this.parts.keys !== undefined;
  }

  /** Resolves who is calling `network`; a GatewayError is a 401 (or 503 if the store failed). */
  authenticate(
    network: string,
    path: string,
    headers: RequestHeaders,
    remoteAddress: string | undefined,
  ): Access | GatewayError | Promise<Access | GatewayError> {
    const policy = this.access.get(network);
    if (policy === undefined)
      return new GatewayError('ERR_NETWORK_NOT_FOUND', `network "${network}" is not configured`);
    const keys = this.parts.keys;
    const secret = keys === undefined ? undefined : extractApiKey(path, headers);
    if (secret === undefined || keys === undefined) {
      if (!policy.keyless) {
        this.authFailures.missing++;
        return new GatewayError(
          'ERR_AUTH_MISSING_KEY',
          'an API key is required: /<network>/<key>, X-Api-Key or Authorization: Bearer',
        );
      }
      return this.keyless(network, policy, remoteAddress);
    }
    const found = keys.lookup(secret);
    if (found instanceof Promise)
      return found.then(
        (entry) => this.keyed(network, entry),
        (err: unknown) => {
          this.authFailures.unavailable++;
          this.log.warn({ err }, 'API key lookup failed');
          return new GatewayError(
            'ERR_TENANCY_UNAVAILABLE',
            'the API key could not be checked; retry shortly',
            { cause: err },
          );
        },
      );
    return this.keyed(network, found);
  }

  async start(): Promise<void> {
    const { keys, meter, changes } = this.parts;
    if (keys === undefined) return;
    const refresh = () =>
      keys.refreshBalances().catch((err: unknown) => this.log.warn({ err }, 'balance refresh failed'));
    // Flush, then re-read balances, so other processes' spending shows up within about a second.
    meter?.start(this.config.tenancy.usageFlushMs, refresh);
    this.balanceTimer = setInterval(refresh, this.config.tenancy.balanceRefreshMs);
    this.balanceTimer.unref();
    await changes?.start();
  }

  /** After an admin change in this process: refresh here at once and tell the others. */
  async changed(): Promise<void> {
    await this.parts.changes?.check(true);
    await this.parts.publishChange();
  }

  /** Writes the last usage; call after the last request has been answered. */
  async close(): Promise<void> {
    clearInterval(this.balanceTimer);
    await this.parts.changes?.close();
    await this.parts.meter?.close();
    await this.parts.limiter.close();
    await this.parts.closeResources();
  }

  private keyed(network: string, entry: KeyEntry | undefined): Access | GatewayError {
    if (entry === undefined) {
      this.authFailures.invalid++;
      return new GatewayError('ERR_AUTH_INVALID_KEY', 'the API key is unknown, revoked or expired');
    }
    return new Access(this.parts.limiter, this.parts.meter, network, entry, undefined, undefined);
  }

  private keyless(network: string, policy: NetworkAccess, remoteAddress: string | undefined): Access {
    const rule = policy.keylessRule;
    const bucket = rule === undefined ? undefined : `ip:${network}:${remoteAddress ?? 'unknown'}`;
    return new Access(this.parts.limiter, undefined, network, undefined, bucket, rule);
  }
}

function networkAccess(network: NetworkConfig, tenancyEnabled: boolean): NetworkAccess {
  const limit = network.access.keylessRateLimit;
  return {
    keyless: network.access.keyless ?? !tenancyEnabled,
    keylessRule:
      limit === undefined
        ? undefined
        : { perSecond: limit.perSecond, burst: limit.burst ?? Math.max(1, Math.ceil(limit.perSecond)) },
  };
}
