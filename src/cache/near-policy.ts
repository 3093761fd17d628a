/**
 * The cache policy of NEAR networks (`type: near`), by NEAR finality. NEAR finality is
 * deterministic (a final block is never reverted), and a block hash names one block forever, so:
 * an answer at a block hash, at a chunk hash, or at a height the network already made final is
 * immutable; an answer at `finality: final` is right until the next final block (`finalTtlMs`);
 * `optimistic` answers, answers at the head (`[null]`, no reference) and heights above the last
 * final block are never cached. A transaction status is immutable once it says `FINAL`.
 * Pure: the last final height is the only outside state (near-final-head.ts).
 */
import type { NetworkCacheConfig } from '../config/schema.js';
import type { CachePolicy } from '../rpc/methods/method-table.js';
import type { RpcRequest } from '../rpc/types.js';
import { matchRule } from './policy.js';
import type { CacheDecision, CachePlan, ResultInfo } from './policy-plan.js';

/** What the planner reads of the chain: the last final height (-1 while unknown). */
export interface NearFinality {
  readonly finalHeight: number;
}

const NO_TAGS: readonly string[] = Object.freeze([]);
const BASE58_HASH = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;

/** `immutable`: the key names the data forever. `final-tip`: at `finality: final`. `tx`: final once the status says so. */
type NearBinding = 'immutable' | 'final-tip' | 'tx';

class NearPlan implements CachePlan {
  readonly lookup = true;

  constructor(
    readonly key: string,
    private readonly binding: NearBinding,
    private readonly ttlMs: number,
    private readonly ruleTtl: number | undefined,
  ) {}

  get final(): boolean {
    return this.binding === 'immutable';
  }

  decide(info: ResultInfo): CacheDecision | undefined {
    if (this.binding === 'tx') {
      // Only a parsed status can say FINAL; anything earlier changes as blocks settle.
      if (!info.parsed) return undefined;
      const status = (info.result as { final_execution_status?: unknown } | null)?.final_execution_status;
      if (status !== 'FINAL') return undefined;
      return { ttlMs: this.ruleTtl ?? Number.POSITIVE_INFINITY, tags: NO_TAGS };
    }
    if (info.parsed && info.result === null) return undefined;
    return { ttlMs: this.ruleTtl ?? this.ttlMs, tags: NO_TAGS };
  }
}

/** The cache plan of one NEAR request, or undefined when it must not be cached. */
export function planNearCache(
  request: RpcRequest,
  network: string,
  config: NetworkCacheConfig,
  policy: CachePolicy | undefined,
  finality: NearFinality,
): CachePlan | undefined {
  if (!config.enabled || policy === undefined) return undefined;
  const { method, params } = request;
  const rule = matchRule(config.rules, method);
  if (rule === 'never') return undefined;
  const ruleTtl = rule === undefined ? undefined : rule === 'forever' ? Number.POSITIVE_INFINITY : rule;
  const key = `${network}:${method}:${params === undefined ? '[]' : JSON.stringify(params)}`;
  if (policy.kind === 'static') return new NearPlan(key, 'immutable', Number.POSITIVE_INFINITY, ruleTtl);
  if (policy.kind === 'near-tx') return new NearPlan(key, 'tx', 0, ruleTtl);
  if (policy.kind !== 'near-block') return undefined;
  const binding = bindingOf(params, finality.finalHeight);
  if (binding === undefined) return undefined;
  if (binding === 'final-tip')
    return config.finalTtlMs > 0 || ruleTtl !== undefined
      ? new NearPlan(key, 'final-tip', config.finalTtlMs, ruleTtl)
      : undefined;
  return new NearPlan(key, binding, Number.POSITIVE_INFINITY, ruleTtl);
}

/** What a request's block reference makes of its answer; undefined: not cacheable. */
function bindingOf(params: unknown, finalHeight: number): NearBinding | undefined {
  let reference: unknown;
  if (Array.isArray(params)) reference = params[0];
  else if (params !== null && typeof params === 'object') {
    const named = params as { finality?: unknown; block_id?: unknown; chunk_id?: unknown };
    if (named.finality !== undefined) return named.finality === 'final' ? 'final-tip' : undefined;
    reference = named.chunk_id ?? named.block_id;
  } else return undefined;
  if (typeof reference === 'string') return BASE58_HASH.test(reference) ? 'immutable' : undefined;
  if (typeof reference === 'number' && Number.isSafeInteger(reference) && reference >= 0)
    return finalHeight >= 0 && reference <= finalHeight ? 'immutable' : undefined;
  return undefined;
}

/**
 * The cache planner of one NEAR network: the first request whose caching may depend on the final
 * height starts the reads of it (near-final-head.ts).
 */
export function nearCachePlanner(
  network: string,
  config: NetworkCacheConfig,
  finalHead: NearFinality & { readonly started: boolean; start(): Promise<void> },
  policyOf: (method: string) => { readonly cache: CachePolicy | undefined },
): (request: RpcRequest) => CachePlan | undefined {
  return (request) => {
    const policy = policyOf(request.method).cache;
    if (policy?.kind === 'near-block' && !finalHead.started) void finalHead.start();
    return planNearCache(request, network, config, policy, finalHead);
  };
}
