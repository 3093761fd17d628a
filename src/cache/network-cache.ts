/**
 * The cache in front of one network's upstreams: plan (policy.ts) → tier lookup → in-flight
 * coalescing → the upstream call → a stored answer, tagged with the block hashes it depends on.
 * Identical concurrent misses share one upstream call; with Redis, a short fill lock keeps
 * other instances from calling upstream for the same key at the same time.
 */
import type { NetworkCacheConfig } from '../config/schema.js';
import type { ForwardResult, ForwardTiming } from '../network/forward.js';
import { spliceRawId } from '../rpc/raw-id.js';
import type { RpcRequest } from '../rpc/types.js';
import type { CacheStore } from './cache-store.js';
import type { ChainView } from './chain-view.js';
import type { FillLock } from './fill-lock.js';
import { type CachePlan, planCache } from './policy.js';
import { buildResponse, extractResultBytes } from './result-bytes.js';

export type CacheStatus = 'HIT' | 'MISS' | 'COALESCED' | 'BYPASS';

/** A forward result plus how the cache took part. */
export type CachedResult = ForwardResult & { cache?: CacheStatus };

export interface NetworkCacheStats {
  hits: number;
  misses: number;
  coalesced: number;
  stored: number;
  /** Entries dropped because a reorg orphaned their block. */
  invalidated: number;
}

type Forward = () => ForwardResult | Promise<ForwardResult>;

export class NetworkCache {
  private readonly inflight = new Map<string, Promise<ForwardResult>>();
  readonly stats: NetworkCacheStats = { hits: 0, misses: 0, coalesced: 0, stored: 0, invalidated: 0 };

  constructor(
    readonly network: string,
    readonly config: NetworkCacheConfig,
    private readonly store: CacheStore,
    private readonly chain: ChainView,
    private readonly fillLock: FillLock | undefined,
  ) {}

  /** The plan for a request, or undefined when it is not cacheable (then call upstream as usual). */
  plan(request: RpcRequest): CachePlan | undefined {
    if (!this.config.enabled) return undefined;
    return planCache(request, this.network, this.config, this.chain);
  }

  /** Serves `request` through the cache; `forward` is the upstream call on a miss. */
  async serve(
    request: RpcRequest,
    plan: CachePlan,
    timing: ForwardTiming,
    forward: Forward,
  ): Promise<CachedResult> {
    const started = performance.now();
    if (plan.lookup) {
      const found = this.store.get(plan.key);
      const value = found instanceof Promise ? await found : found;
      if (value !== undefined) {
        this.stats.hits++;
        timing.cacheMs = (timing.cacheMs ?? 0) + performance.now() - started;
        return { ok: true, body: buildResponse(idText(request), value), rpcError: false, cache: 'HIT' };
      }
    }
    const leader = this.inflight.get(plan.key);
    if (leader !== undefined) {
      this.stats.coalesced++;
      const shared = await leader;
      timing.cacheMs = (timing.cacheMs ?? 0) + performance.now() - started;
      return { ...withId(shared, request), cache: 'COALESCED' };
    }
    timing.cacheMs = (timing.cacheMs ?? 0) + performance.now() - started;
    this.stats.misses++;
    const filling = this.fill(request, plan, forward).finally(() => this.inflight.delete(plan.key));
    this.inflight.set(plan.key, filling);
    return { ...(await filling), cache: 'MISS' };
  }

  /** Drops entries that depend on orphaned blocks, in every tier (and every instance). */
  async invalidate(orphaned: readonly string[]): Promise<number> {
    const dropped = await this.store.invalidateTags(orphaned);
    this.stats.invalidated += dropped;
    return dropped;
  }

  private async fill(request: RpcRequest, plan: CachePlan, forward: Forward): Promise<ForwardResult> {
    // Another instance may be asking the upstream right now: wait briefly for its answer.
    const lock = this.fillLock;
    let release: (() => void) | undefined;
    if (lock !== undefined && plan.lookup) {
      const acquired = await lock.acquire(plan.key);
      if (acquired === undefined) {
        const value = await lock.waitFor(plan.key, () => this.store.get(plan.key));
        if (value !== undefined) {
          this.stats.hits++;
          return { ok: true, body: buildResponse(idText(request), value), rpcError: false };
        }
      } else release = acquired;
    }
    try {
      const result = await forward();
      if (result.ok && !result.rpcError) this.remember(plan, result);
      return result;
    } finally {
      release?.();
    }
  }

  private remember(plan: CachePlan, result: Extract<ForwardResult, { ok: true }>): void {
    const bytes = extractResultBytes(result.body);
    if (bytes === undefined) return;
    const decision = plan.decide({ bytes, parsed: result.parsed === true, result: result.result });
    if (decision === undefined) return;
    this.stats.stored++;
    void Promise.resolve(
      this.store.set(plan.key, { value: bytes, ttlMs: decision.ttlMs, tags: decision.tags }),
    );
  }
}

/** The client's id exactly as sent (`2^64` survives). */
function idText(request: RpcRequest): string {
  if (request.rawId !== undefined) return request.rawId;
  return JSON.stringify(request.id ?? null);
}

/** A coalesced follower gets the leader's answer with its own id. */
function withId(result: ForwardResult, request: RpcRequest): ForwardResult {
  if (!result.ok) return result;
  return { ...result, body: spliceRawId(result.body, idText(request)) };
}
