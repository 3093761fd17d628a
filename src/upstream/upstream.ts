/**
 * One upstream node: its keep-alive pool, live load and latency, breaker, head and exclusion
 * state. Selection reads these fields on every request, so they are plain properties.
 */
import { Pool } from 'undici';
import type { NetworkConfig, UpstreamConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { breakerChannel } from '../events/channels.js';
import { type BreakerState, CircuitBreaker } from '../failsafe/circuit-breaker.js';
import { LatencyTracker } from '../failsafe/latency-tracker.js';
import { type AttemptControl, startAttempt } from '../failsafe/timeout.js';
import { redactUrl } from '../logging/redact.js';
import { collectResponse } from './collect-response.js';
import { type FailureReason, transportReason } from './failure-reason.js';
import type { ChainId } from './health-probes.js';

export interface UpstreamReply {
  readonly status: number;
  readonly body: Buffer;
}

export type ExclusionReason = 'chain-id-mismatch' | 'lagging';

export class Upstream {
  readonly id: string;
  readonly network: string;
  readonly tier: 'primary' | 'fallback';
  readonly weight: number;
  /** The URL with secrets masked: safe for logs and metrics. */
  readonly displayUrl: string;
  readonly breaker: CircuitBreaker;
  readonly latency: LatencyTracker;
  /** The node's WebSocket endpoint (`wsUrl`) and the headers its handshake sends; undefined without one. */
  readonly ws: { readonly url: string; readonly headers: Readonly<Record<string, string>> } | undefined;
  inflight = 0;

  /** Requests waiting for one of the pool's connections (undici's own count). */
  get queued(): number {
    return this.pool.stats.queued;
  }
  /** Highest block number seen from this upstream (-1 = unknown). */
  head = -1;
  headSeenAt = 0;
  lastUsedAt = 0;
  /** Chain id it reported (undefined until checked). */
  chainId: ChainId | undefined;
  chainIdMismatch = false;
  lagging = false;
  /** Why the latest failed call to it failed (logged when the breaker opens). */
  lastFailure: FailureReason | undefined;
  /** True while a breaker change learned from another cluster worker is applied. */
  applyingShared = false;
  /** Told about every breaker change, after metrics and logs (health sharing listens). */
  onBreakerChange: ((state: BreakerState) => void) | undefined;
  /** Told when a pooled connection broke (closed or reset by the other side), not on idle close. */
  onConnectionLost: ((reason: FailureReason) => void) | undefined;
  private readonly pool: Pool;
  private readonly maxResponseBytes: number;
  private readonly path: string;
  /** Flat name/value list: undici copies an array faster than it walks an object's keys. */
  private readonly headers: string[];

  constructor(
    config: UpstreamConfig,
    index: number,
    network: string,
    networkConfig: NetworkConfig,
    /** The Network object this upstream belongs to; tags its diagnostics events. */
    readonly owner: object = {},
  ) {
    this.id = config.id ?? `${network}-${index}`;
    this.network = network;
    this.tier = config.tier;
    this.weight = config.weight;
    this.maxResponseBytes = config.maxResponseBytes;
    this.ws = config.wsUrl === undefined ? undefined : { url: config.wsUrl, headers: config.headers };
    const url = new URL(config.url);
    this.displayUrl = redactUrl(url);
    this.path = `${url.pathname}${url.search}`;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...config.headers };
    if (url.username !== '' || url.password !== '') {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
    }
    this.headers = Object.entries(headers).flat();
    this.pool = new Pool(url.origin, {
      connections: config.pool.connections,
      pipelining: config.pool.pipelining,
      keepAliveTimeout: config.pool.keepAliveTimeoutMs,
      connect: { timeout: config.pool.connectTimeoutMs },
      maxResponseSize: config.maxResponseBytes,
      // Our own per-attempt timer governs; undici's must never fire first.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    this.breaker = new CircuitBreaker(networkConfig.failsafe.breaker);
    this.pool.on('disconnect', (_origin, _targets, err) => {
      // undici's own idle-timeout close is informational; a peer's close or reset is news.
      if (this.onConnectionLost !== undefined && (err as { code?: string }).code !== 'UND_ERR_INFO')
        this.onConnectionLost(transportReason(err));
    });
    this.breaker.onStateChange = (state) => {
      if (breakerChannel.hasSubscribers)
        breakerChannel.publish({
          owner,
          network,
          upstream: this.id,
          state,
          reason: state === 'open' ? this.lastFailure : undefined,
          shared: this.applyingShared,
        });
      this.onBreakerChange?.(state);
    };
    this.latency = new LatencyTracker(networkConfig.failsafe.hedge.quantile);
  }

  get excluded(): boolean {
    return this.chainIdMismatch || this.lagging;
  }

  get exclusionReason(): ExclusionReason | undefined {
    if (this.chainIdMismatch) return 'chain-id-mismatch';
    if (this.lagging) return 'lagging';
    return undefined;
  }

  /** Usable for traffic: not excluded and the breaker admits requests. */
  isAvailable(): boolean {
    return !this.excluded && this.breaker.isAvailable();
  }

  /** Lower is better: power-of-two-choices compares this. */
  score(): number {
    return ((this.inflight + 1) * this.latency.costMs()) / this.weight;
  }

  noteHead(block: number, now: number): void {
    if (block > this.head) this.head = block;
    this.headSeenAt = now;
  }

  /**
   * The hot path: sends raw JSON-RPC bytes under the caller's attempt control. Rejects with
   * the transport's own error; map it with `transportError`. Not async: one promise, no wrapper.
   */
  dispatch(body: Buffer | string, control: AttemptControl): Promise<UpstreamReply> {
    this.inflight++;
    this.lastUsedAt = Date.now();
    return collectResponse(
      this.pool,
      { path: this.path, method: 'POST', headers: this.headers, body },
      control.signal,
      this,
    );
  }

  /** Called by the response collector once the request is settled, whatever the outcome. */
  settled(): void {
    this.inflight--;
  }

  /** Sends with its own attempt timer (health probes, lookups); failures are GatewayErrors. */
  async send(body: Buffer | string, timeoutMs: number): Promise<UpstreamReply> {
    const attempt = startAttempt(timeoutMs);
    try {
      return await this.dispatch(body, attempt);
    } catch (err) {
      throw this.transportError(err, attempt);
    } finally {
      attempt.done();
    }
  }

  transportError(err: unknown, attempt: AttemptControl): GatewayError {
    if (attempt.timedOut) {
      return new GatewayError('ERR_UPSTREAM_TIMEOUT', `upstream ${this.id} timed out`, { cause: err });
    }
    if (attempt.signal.aborted) {
      return new GatewayError('ERR_UPSTREAM_CONNECT', `attempt to upstream ${this.id} was cancelled`, {
        cause: err,
      });
    }
    const code = (err as { code?: string }).code ?? 'unknown';
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
      return new GatewayError(
        'ERR_UPSTREAM_RESPONSE_TOO_LARGE',
        `upstream ${this.id} answered more than ${this.maxResponseBytes} bytes`,
        { cause: err, data: { limit: this.maxResponseBytes } },
      );
    }
    return new GatewayError('ERR_UPSTREAM_CONNECT', `upstream ${this.id} transport error (${code})`, {
      cause: err,
    });
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => this.pool.destroy());
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
