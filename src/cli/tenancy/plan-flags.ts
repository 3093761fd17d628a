/** The flags that describe a plan, read into a PlanInput (create) or a PlanPatch (update). */
import type { Plan, PlanInput, PlanPatch, QuotaUnit } from '../../tenancy/model.js';
import { UsageError } from '../parse-flags.js';
import { choices, computeUnitMap, exclusive, list, positiveNumber, required, wholeNumber } from './flags.js';

export const PLAN_OPTIONS = {
  name: { type: 'string' },
  rate: { type: 'string' },
  burst: { type: 'string' },
  'per-method': { type: 'boolean' },
  quota: { type: 'string' },
  'quota-unit': { type: 'string' },
  networks: { type: 'string' },
  allow: { type: 'string' },
  deny: { type: 'string' },
  cu: { type: 'string' },
} as const;

export const PLAN_FLAGS_HELP = `  --name N              unique name (required by create)
  --rate R              requests per second per key (GCRA)
  --burst B             the bucket size (default: one second's worth of --rate)
  --per-method          rate limit each method of a key separately (not the key as a whole)
  --quota Q             monthly quota
  --quota-unit U        requests (default) or compute_units
  --networks a,b        only these networks (default: all)
  --allow m1,m2         only these methods (default: all)
  --deny m3             methods always refused
  --cu m=N,m2=N         compute units per method, over the built-in table
`;

export const PLAN_CLEAR_HELP = `  --no-rate             no rate limit
  --no-per-method       one rate limit for the key as a whole
  --no-quota            no monthly quota
  --all-networks        every network
  --all-methods         every method (--deny still applies)
`;

/** Only `plans update` can take a limit away again. */
export const PLAN_CLEAR_OPTIONS = {
  'no-rate': { type: 'boolean' },
  'no-per-method': { type: 'boolean' },
  'no-quota': { type: 'boolean' },
  'all-networks': { type: 'boolean' },
  'all-methods': { type: 'boolean' },
} as const;

type PlanValues = {
  [K in keyof typeof PLAN_OPTIONS]?: (typeof PLAN_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};
type ClearValues = { [K in keyof typeof PLAN_CLEAR_OPTIONS]?: boolean };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function planInputFromFlags(values: PlanValues): PlanInput {
  const name = required('name', values.name);
  const input: Mutable<PlanInput> = { name };
  const rateLimit = rateLimitFrom(rateFlags(values), undefined);
  if (rateLimit !== undefined) input.rateLimit = rateLimit;
  if (values['per-method'] === true) input.ratePerMethod = true;
  if (values.quota !== undefined) input.monthlyQuota = wholeNumber('--quota', values.quota);
  if (values['quota-unit'] !== undefined) input.quotaUnit = quotaUnit(values['quota-unit']);
  if (values.networks !== undefined) input.allowedNetworks = list(values.networks);
  if (values.allow !== undefined) input.allowedMethods = list(values.allow);
  if (values.deny !== undefined) input.deniedMethods = list(values.deny);
  if (values.cu !== undefined) input.computeUnits = computeUnitMap('--cu', values.cu);
  return input;
}

/**
 * Checks every flag now, before the database is opened, and returns the patch to apply once
 * the current plan is read (it supplies the half of a rate limit the flags leave out).
 */
export function planUpdateFromFlags(values: PlanValues & ClearValues): (current: Plan) => PlanPatch {
  exclusive(values, 'rate', 'no-rate');
  exclusive(values, 'burst', 'no-rate');
  exclusive(values, 'per-method', 'no-per-method');
  exclusive(values, 'quota', 'no-quota');
  exclusive(values, 'networks', 'all-networks');
  exclusive(values, 'allow', 'all-methods');
  const patch: Mutable<PlanPatch> = {};
  if (values.name !== undefined) patch.name = required('name', values.name);
  if (values['no-rate'] === true) patch.rateLimit = null;
  if (values['per-method'] === true) patch.ratePerMethod = true;
  if (values['no-per-method'] === true) patch.ratePerMethod = false;
  if (values['no-quota'] === true) patch.monthlyQuota = null;
  if (values.quota !== undefined) patch.monthlyQuota = wholeNumber('--quota', values.quota);
  if (values['quota-unit'] !== undefined) patch.quotaUnit = quotaUnit(values['quota-unit']);
  if (values['all-networks'] === true) patch.allowedNetworks = null;
  if (values.networks !== undefined) patch.allowedNetworks = list(values.networks);
  if (values['all-methods'] === true) patch.allowedMethods = null;
  if (values.allow !== undefined) patch.allowedMethods = list(values.allow);
  if (values.deny !== undefined) patch.deniedMethods = list(values.deny);
  if (values.cu !== undefined) patch.computeUnits = computeUnitMap('--cu', values.cu);
  const rate = rateFlags(values);
  if (Object.keys(patch).length === 0 && rate === undefined)
    throw new UsageError('nothing to change: give at least one plan flag');
  return (current) => {
    const rateLimit = rateLimitFrom(rate, current.rateLimit);
    return rateLimit === undefined ? patch : { ...patch, rateLimit };
  };
}

interface RateFlags {
  perSecond?: number;
  burst?: number;
}

function rateFlags(values: PlanValues): RateFlags | undefined {
  if (values.rate === undefined && values.burst === undefined) return undefined;
  return {
    ...(values.rate !== undefined && { perSecond: positiveNumber('--rate', values.rate) }),
    ...(values.burst !== undefined && { burst: wholeNumber('--burst', values.burst, 1) }),
  };
}

/**
 * `--rate` alone gets a burst of one second's worth of requests (at least 1), or keeps the
 * plan's burst; `--burst` alone changes the burst of the plan's rate.
 */
function rateLimitFrom(
  flags: RateFlags | undefined,
  current: Plan['rateLimit'],
): { perSecond: number; burst: number } | undefined {
  if (flags === undefined) return undefined;
  const perSecond = flags.perSecond ?? current?.perSecond;
  if (perSecond === undefined) throw new UsageError('--burst needs --rate (the plan has no rate limit)');
  return { perSecond, burst: flags.burst ?? current?.burst ?? Math.max(1, Math.ceil(perSecond)) };
}

function quotaUnit(text: string): QuotaUnit {
  const [unit, extra] = choices('--quota-unit', text, ['requests', 'compute_units'] as const);
  if (unit === undefined || extra !== undefined)
    throw new UsageError(`--quota-unit must be requests or compute_units, got "${text}"`);
  return unit;
}
