/**
 * What Turnpike knows about each method, as plain data read through the public lookups (cache
 * policy, pipeline rule, local answer, compute units, usage label).
 * src/rpc/methods/evm-methods.test.ts compares it with test/fixtures/method-facts.json, taken
 * before the method table existed, so any drift fails.
 */
import { METHOD_SPECS } from '../../src/cache/policy-methods.js';
import { ruleFor } from '../../src/rpc/methods/rules.js';
import type { RpcRequest } from '../../src/rpc/types.js';
import { ComputeUnitTable } from '../../src/tenancy/compute-units.js';
import type { Plan } from '../../src/tenancy/model.js';
import { PlanRules } from '../../src/tenancy/plan-rules.js';

export interface MethodFacts {
  readonly units: number;
  /** `own`: usage is metered under the method's name; `other`: under `other`. */
  readonly usage: 'own' | 'other';
  readonly cache: unknown;
  readonly hedge: boolean;
  readonly retry: boolean;
  readonly unsupported: string | null;
  readonly recovers: boolean;
  /** reportsHead on sample answers, or null when the method reports no head. */
  readonly reportsHead: readonly (number | null)[] | null;
  readonly local: string | null;
}

const PLAN: Plan = {
  id: 'plan',
  name: 'plan',
  ratePerMethod: false,
  quotaUnit: 'requests',
  computeUnits: {},
  deniedMethods: [],
  createdAt: 0,
  updatedAt: 0,
};

const request = (method: string, params: unknown[]): RpcRequest => ({
  id: 1,
  method,
  params,
  raw: Buffer.alloc(0),
});

export function methodFacts(
  names: Iterable<string>,
  localOf: (method: string) => string | undefined,
): Record<string, MethodFacts> {
  const units = new ComputeUnitTable();
  const labels = new PlanRules(PLAN).usageLabels;
  const facts: Record<string, MethodFacts> = {};
  for (const method of [...names].sort()) {
    const rule = ruleFor(method);
    const spec = METHOD_SPECS.get(method);
    const reportsHead = rule.reportsHead;
    facts[method] = {
      units: units.cost(method),
      usage: labels.label(method) === method ? 'own' : 'other',
      cache: spec === undefined ? null : JSON.parse(JSON.stringify(spec)),
      hedge: rule.hedge,
      retry: rule.retry !== false,
      unsupported: rule.unsupported ?? null,
      recovers: rule.recover !== undefined,
      reportsHead:
        reportsHead === undefined
          ? null
          : [
              reportsHead('0x10', request(method, [])),
              reportsHead({ number: '0x5' }, request(method, ['latest', false])),
              reportsHead({ number: '0x5' }, request(method, ['0x5', false])),
              reportsHead(null, request(method, ['latest', false])),
            ].map((head) => head ?? null),
      local: localOf(method) ?? null,
    };
  }
  return facts;
}
