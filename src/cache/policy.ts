/**
 * Decides what is cacheable, for how long, and tied to which block. A plan is made before the
 * upstream call (the key, and whether a hit may be served); its `decide` runs on the answer.
 * Turnpike never serves data from an orphaned block: an answer that depends on a block that is
 * not final is keyed or tagged with that block's canonical hash, and not cached when the hash is
 * unknown. Pure: no I/O, the chain view is the only outside state.
 */
import type { CacheRuleConfig, NetworkCacheConfig } from '../config/schema.js';
import type { CachePolicy } from '../rpc/methods/method-table.js';
import type { RpcRequest } from '../rpc/types.js';
import { canonicalBlockParam, LATEST, parseBlockRef, parseHash } from './block-ref.js';
import type { ChainView } from './chain-view.js';
import { planLogs } from './policy-logs.js';
import { METHOD_SPECS } from './policy-methods.js';
import { type CachePlan, Plan, type PlanContext, planNumber, planTip } from './policy-plan.js';
import { heightOfHash } from './policy-result.js';

export type { CacheDecision, CachePlan, ResultInfo } from './policy-plan.js';

/**
 * The cache plan of one request, or undefined when it must neither be looked up nor stored.
 * Config rules (first match; `method` exact or `prefix*`) replace the built-in TTL: `never`
 * turns caching off, `forever` and a number set the TTL; the block analysis still applies.
 */
export function planCache(
  request: RpcRequest,
  network: string,
  config: NetworkCacheConfig,
  chain: ChainView,
): CachePlan | undefined {
  if (!config.enabled) return undefined;
  const { method, params } = request;
  const rule = matchRule(config.rules, method);
  if (rule === 'never') return undefined;
  const ruleTtl = rule === undefined ? undefined : rule === 'forever' ? Number.POSITIVE_INFINITY : rule;
  const spec = METHOD_SPECS.get(method);
  if (spec === undefined && ruleTtl === undefined) return undefined;
  if (spec?.optIn === true && ruleTtl === undefined) return undefined;
  const context: PlanContext = { prefix: `${network}:${method}:`, config, chain, ruleTtl };
  if (spec === undefined) return new Plan(context.prefix + stringify(params), 'unknown', context);

  switch (spec.kind) {
    case 'static':
      return new Plan(context.prefix + stringify(params), 'static', context);
    case 'ref':
      return planRef(context, spec, params);
    case 'block-hash':
    case 'tx': {
      const index = spec.index ?? 0;
      const hash = Array.isArray(params) ? parseHash(params[index]) : undefined;
      if (hash === undefined) return undefined;
      const key = context.prefix + stringify(replaced(params as unknown[], index, hash));
      return spec.kind === 'tx'
        ? new Plan(key, 'tx', context, spec)
        : new Plan(key, 'hash', context, spec, -1, hash);
    }
    case 'logs':
      return planLogs(context, params);
  }
}

/** First rule whose `method` is the name, or a `prefix*` of it. */
export function matchRule(
  rules: readonly CacheRuleConfig[],
  method: string,
): CacheRuleConfig['ttl'] | undefined {
  for (const rule of rules) {
    const pattern = rule.method;
    const matches = pattern.endsWith('*') ? method.startsWith(pattern.slice(0, -1)) : pattern === method;
    if (matches) return rule.ttl;
  }
  return undefined;
}

function planRef(context: PlanContext, spec: CachePolicy, params: unknown): Plan | undefined {
  const index = spec.index ?? 0;
  if (!Array.isArray(params) || params.length < index) return undefined;
  // An omitted trailing block parameter means `latest`.
  const ref = params.length === index ? LATEST : parseBlockRef(params[index]);
  if (ref === undefined) return undefined;
  const canonical = replaced(params, index, canonicalBlockParam(ref));
  const address = spec.address;
  if (address !== undefined && typeof canonical[address] === 'string') {
    canonical[address] = (canonical[address] as string).toLowerCase();
  }
  const key = context.prefix + JSON.stringify(canonical);

  switch (ref.kind) {
    case 'number':
      return planNumber(context, key, spec, ref.number);
    case 'tag':
      return ref.tag === 'earliest' ? new Plan(key, 'final', context, spec, 0) : planTip(context, key, spec);
    case 'hash': {
      if (!ref.requireCanonical) return new Plan(key, 'hash', context, spec, -1, ref.hash);
      // Canonical now is all the node would check; a hash the tracker does not hold is not cached.
      const { chain } = context;
      const height = heightOfHash(chain, ref.hash);
      if (height === undefined) return undefined;
      return height <= chain.finalized
        ? new Plan(key, 'final', context, spec, height)
        : new Plan(key, 'block', context, spec, height, ref.hash);
    }
  }
}

function replaced(params: readonly unknown[], index: number, value: unknown): unknown[] {
  const copy = params.slice();
  copy[index] = value;
  return copy;
}

/** Missing params and `[]` mean the same to a node. */
function stringify(params: unknown): string {
  return params === undefined ? '[]' : JSON.stringify(params);
}
