/**
 * The second half of a cache plan: once the upstream has answered, decide whether the answer
 * may be stored, for how long, and under which block-hash tags. A class rather than a closure
 * per request (hot path); the binding says what the answer was tied to when the plan was made.
 */
import type { NetworkCacheConfig } from '../config/schema.js';
import type { CachePolicy } from '../rpc/methods/method-table.js';
import type { ChainView } from './chain-view.js';
import { blockOf, heightOfHash, isEmptyResult, mentionsHash } from './policy-result.js';

/** What the caller knows about an upstream `result` (classify-response's outcome fits as is). */
export interface ResultInfo {
  /** True when `result` holds the parsed value (bodies up to 64 KiB); false for larger bodies. */
  readonly parsed: boolean;
  /** The parsed `result`; ignored when `parsed` is false. */
  readonly result: unknown;
  /** The result's bytes; lets an unparsed block be checked against the hash it was tied to. */
  readonly bytes?: Buffer;
}

/** Fits `CacheWrite` minus the value. */
export interface CacheDecision {
  readonly ttlMs: number;
  readonly tags: readonly string[];
}

export interface CachePlan {
  readonly key: string;
  /** Whether a stored entry may be served for this request. */
  readonly lookup: boolean;
  /**
   * The key is a function of the request alone, now and forever (static data, final blocks):
   * a later identical request is planned to the same key, so it may skip planning.
   */
  readonly final: boolean;
  /** Whether and how to store this answer; undefined = do not store. */
  decide(result: ResultInfo): CacheDecision | undefined;
}

/**
 * `static`/`final`: immutable. `block`: a canonical block above the finalized one (`number`,
 * `hash`). `tip`: the head (`hash` = head hash when planned). `hash`: a block named by hash, final
 * or not. `tx`: the block comes from the result. `range`: log heights above finality (`tags`).
 * `unknown`: a method only a config rule makes cacheable.
 */
export type Binding = 'static' | 'final' | 'block' | 'tip' | 'hash' | 'tx' | 'range' | 'unknown';

const NO_TAGS: readonly string[] = Object.freeze([]);
const NO_SPEC: CachePolicy = { kind: 'static' };

/** What every plan of one request shares. */
export interface PlanContext {
  /** `${network}:${method}:` */
  readonly prefix: string;
  readonly config: NetworkCacheConfig;
  readonly chain: ChainView;
  /** TTL from a matching config rule; replaces the built-in TTL, never the tagging. */
  readonly ruleTtl: number | undefined;
}

export class Plan implements CachePlan {
  readonly lookup = true;
  private readonly config: NetworkCacheConfig;
  private readonly chain: ChainView;
  private readonly ruleTtl: number | undefined;

  constructor(
    readonly key: string,
    private readonly binding: Binding,
    context: PlanContext,
    private readonly spec: CachePolicy = NO_SPEC,
    private readonly number = -1,
    private readonly hash = '',
    private readonly tags: readonly string[] = NO_TAGS,
  ) {
    this.config = context.config;
    this.chain = context.chain;
    this.ruleTtl = context.ruleTtl;
  }

  get final(): boolean {
    return this.binding === 'static' || this.binding === 'final';
  }

  decide(info: ResultInfo): CacheDecision | undefined {
    const empty = info.parsed && isEmptyResult(info.result);
    if (empty && !this.config.cacheEmpty) return undefined;
    if (this.spec.mustExist === true && info.parsed && info.result === null) return undefined;
    switch (this.binding) {
      case 'static':
        return this.finalDecision();
      case 'final':
        return this.resultMatches(info, this.number, undefined) ? this.finalDecision() : undefined;
      case 'block':
        if (this.chain.hashAt(this.number) !== this.hash) return undefined; // reorg during the call
        return this.resultMatches(info, this.number, this.hash) ? this.unfinal([this.hash]) : undefined;
      case 'tip':
        return this.decideTip(info);
      case 'hash':
        return this.decideHash(info);
      case 'tx':
        return this.decideTx(info, empty);
      case 'range':
        return this.chain.hashAt(this.number) === this.hash ? this.unfinal(this.tags) : undefined;
      case 'unknown':
        return this.decideUnknown();
    }
  }

  private finalDecision(): CacheDecision {
    return { ttlMs: this.ruleTtl ?? Number.POSITIVE_INFINITY, tags: NO_TAGS };
  }

  private unfinal(tags: readonly string[]): CacheDecision {
    return { ttlMs: this.ruleTtl ?? this.config.unfinalizedTtlMs, tags };
  }

  /**
   * Whether the block the result names is the one the answer was tied to (a node on another
   * fork answers for another block). Results that name no block pass; an unparsed result must
   * mention `hash` when one is expected.
   */
  private resultMatches(info: ResultInfo, number: number, hash: string | undefined): boolean {
    const shape = this.spec.shape;
    if (shape === undefined) return true;
    if (!info.parsed) return hash === undefined || mentionsHash(info.bytes, shape, hash);
    const block = blockOf(info.result, shape);
    if (block === undefined || block === null) return true;
    if (block.number !== number) return false;
    if (hash !== undefined) return block.hash === hash;
    const known = this.chain.hashAt(number);
    return known === undefined || known === block.hash;
  }

  /** `latest` & co.: the key holds the head hash, so a new head never serves an older answer. */
  private decideTip(info: ResultInfo): CacheDecision | undefined {
    const ttlMs = this.ruleTtl ?? this.config.tipTtlMs;
    const shape = this.spec.shape;
    if (shape === undefined) return { ttlMs, tags: [this.hash] };
    if (!info.parsed)
      return mentionsHash(info.bytes, shape, this.hash) ? { ttlMs, tags: [this.hash] } : undefined;
    const block = blockOf(info.result, shape);
    if (block === undefined || block === null) return { ttlMs, tags: [this.hash] };
    // The node may be a block ahead of or behind the tracker: store only a block we know canonical.
    const known = this.chain.hashAt(block.number);
    const final = known === undefined && block.number <= this.chain.finalized;
    if (known !== block.hash && !final) return undefined;
    return { ttlMs, tags: block.hash === this.hash ? [this.hash] : [this.hash, block.hash] };
  }

  /** Data of a block named by hash never changes; it is final once that block is. */
  private decideHash(info: ResultInfo): CacheDecision | undefined {
    if (info.parsed && info.result === null) return this.notFound();
    const shape = this.spec.shape;
    const block = shape !== undefined && info.parsed ? blockOf(info.result, shape) : undefined;
    if (block !== undefined && block !== null) {
      if (block.hash !== this.hash) return undefined;
      const known = this.chain.hashAt(block.number);
      const final = block.number <= this.chain.finalized && (known === undefined || known === this.hash);
      return final ? this.finalDecision() : this.unfinal([this.hash]);
    }
    const height = heightOfHash(this.chain, this.hash);
    return height !== undefined && height <= this.chain.finalized
      ? this.finalDecision()
      : this.unfinal([this.hash]);
  }

  /** A transaction's block is known only from the result, and must be canonical to be stored. */
  private decideTx(info: ResultInfo, empty: boolean): CacheDecision | undefined {
    if (!info.parsed) return undefined;
    if (empty) return this.notFound();
    const block = blockOf(info.result, this.spec.shape ?? 'item');
    if (block === undefined || block === null) return undefined; // pending, or no block named
    const known = this.chain.hashAt(block.number);
    if (block.number <= this.chain.finalized) {
      return known === undefined || known === block.hash ? this.finalDecision() : undefined;
    }
    return known === block.hash ? this.unfinal([block.hash]) : undefined;
  }

  /** Tied to the head the tracker knows: any reorg at or below it drops the entry. */
  private decideUnknown(): CacheDecision | undefined {
    const head = this.headHash();
    return head === undefined || this.ruleTtl === undefined
      ? undefined
      : { ttlMs: this.ruleTtl, tags: [head] };
  }

  /** "Not found" holds only until the next blocks: short-lived (even under a `forever` rule), tied to the head. */
  private notFound(): CacheDecision | undefined {
    const head = this.headHash();
    if (head === undefined) return undefined;
    return {
      ttlMs: Math.min(this.ruleTtl ?? Number.POSITIVE_INFINITY, this.config.unfinalizedTtlMs),
      tags: [head],
    };
  }

  private headHash(): string | undefined {
    return this.chain.head < 0 ? undefined : this.chain.hashAt(this.chain.head);
  }
}

/** `latest`, `pending`, `safe`, `finalized`: only with a tip TTL, keyed and tagged by the head hash. */
export function planTip(context: PlanContext, key: string, spec: CachePolicy): Plan | undefined {
  const ttlMs = context.ruleTtl ?? context.config.tipTtlMs;
  const { chain } = context;
  if (ttlMs <= 0 || chain.head < 0) return undefined;
  const hash = chain.hashAt(chain.head);
  return hash === undefined ? undefined : new Plan(`${key}@${hash}`, 'tip', context, spec, chain.head, hash);
}

/** A block by number: final, or above finality and tied to the canonical hash at that height. */
export function planNumber(
  context: PlanContext,
  key: string,
  spec: CachePolicy,
  number: number,
): Plan | undefined {
  const { chain } = context;
  if (number <= chain.finalized) return new Plan(key, 'final', context, spec, number);
  if (number > chain.head) return undefined;
  const hash = chain.hashAt(number);
  return hash === undefined ? undefined : new Plan(`${key}@${hash}`, 'block', context, spec, number, hash);
}
