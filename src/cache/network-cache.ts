/**
 * The cache in front of one network's upstreams: plan (policy.ts) → tier lookup → in-flight
 * coalescing → the upstream call → a stored answer, tagged with the block hashes it depends on.
 * Identical concurrent misses share one upstream call; with Redis, a short fill lock keeps
 * other instances from calling upstream for the same key at the same time.
 */
import type { NetworkCacheConfig } from '../config/schema.js';
import { spliceRawId } from '../rpc/raw-id.js';
import type { RpcRequest } from '../rpc/types.js';
import type { ForwardResult, ForwardTiming } from '../upstream/forward-result.js';
import type { CacheStore } from './cache-store.js';
import type { ChainView } from './chain-view.js';
import type { FillLock } from './fill-lock.js';
import { type CachePlan, planCache } from './policy.js';
import { buildResponse, extractResultBytes } from './result-bytes.js';

export type CacheStatus = 'HIT' | 'MISS' | 'COALESCED' | 'BYPASS';

/**
 * A forward result plus how the cache took part; `finalKey` is the cache key of a hit whose plan
 * is final, which the request's shape may be mapped to (`learnShape`).
 */
export type CachedResult = ForwardResult & { cache?: CacheStatus; finalKey?: string | undefined };

/** What a request shape (rpc/request-shape.ts) is known to stand for. */
export interface KnownShape {
  /** The cache key its final plan had. */
  readonly key: string;
  readonly method: string;
}

/**
 * Shapes remembered per network and worker; when full, the oldest is forgotten. Bodies are at most
 * MAX_SHAPE_BYTES (2 KiB), so the map holds at most ≈ 8 MiB of keys.
 */
export const MAX_SHAPES = 4096;

export interface NetworkCacheStats {
  hits: number;
  misses: number;
  coalesced: number;
  stored: number;
  /** Entries dropped because a reorg orphaned their block. */
  invalidated: number;
  /** Hits served from a known request shape, without parsing or planning (also in `hits`). */
  shapeHits: number;
}

type Forward = () => ForwardResult | Promise<ForwardResult>;

export class NetworkCache {
  private readonly inflight = new Map<string, Promise<ForwardResult>>();
  /** Request shape → the final plan it had: lets a repeat skip parsing and planning. */
  private readonly shapes = new Map<string, KnownShape>();
  readonly stats: NetworkCacheStats = {
    hits: 0,
    misses: 0,
    coalesced: 0,
    stored: 0,
    invalidated: 0,
    shapeHits: 0,
  };

  constructor(
    readonly network: string,
    readonly config: NetworkCacheConfig,
    private readonly store: CacheStore,
    private readonly chain: ChainView,
    private readonly fillLock: FillLock | undefined,
    /** The chain family's planner; the EVM policy (policy.ts) when unset. */
    private readonly planner?: (request: RpcRequest) => CachePlan | undefined,
  ) {}

  /** The plan for a request, or undefined when it is not cacheable (then call upstream as usual). */
  plan(request: RpcRequest): CachePlan | undefined {
    if (!this.config.enabled) return undefined;
    const planner = this.planner;
    if (planner !== undefined) return planner(request);
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
        const body = buildResponse(idText(request), value);
        const finalKey = plan.final ? plan.key : undefined;
        return { ok: true, body, rpcError: false, cache: 'HIT', finalKey };
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

  /**
   * Remembers that requests of this shape have a final plan keyed `key` (called after a hit with
   * `finalKey`). Needs a store with a synchronous in-process tier.
   */
  learnShape(shape: string, key: string, method: string): void {
    if (this.store.getLocal === undefined || this.shapes.has(shape)) return;
    if (this.shapes.size >= MAX_SHAPES) this.shapes.delete(this.shapes.keys().next().value as string);
    this.shapes.set(shape, { key, method });
  }

  /** Whether any shape is known (else there is no point in finding a request's shape). */
  get hasShapes(): boolean {
    return this.shapes.size > 0;
  }

  /** What a shape stands for, when a hit of it was seen. */
  knownShape(shape: string): KnownShape | undefined {
    return this.shapes.get(shape);
  }

  /**
   * The stored result of a known shape from the in-process tier; undefined when it is gone
   * (evicted, expired): then the request takes the usual path. Count the hit when serving it.
   */
  peekKnown(known: KnownShape): Buffer | undefined {
    return this.store.getLocal?.(known.key);
  }

  countKnownHit(): void {
    this.stats.hits++;
    this.stats.shapeHits++;
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
