/** A plan compiled for the hot path: sets instead of arrays, one price table, one rate rule. */

import type { RateRule } from '../ratelimit/limiter.js';
import { isMethodName, MethodLabels } from '../rpc/method-labels.js';
import { ComputeUnitTable } from './compute-units.js';
import type { Plan, QuotaUnit } from './model.js';

export class PlanRules {
  readonly units: ComputeUnitTable;
  readonly rate: RateRule | undefined;
  readonly ratePerMethod: boolean;
  readonly quota: { readonly limit: number; readonly unit: QuotaUnit } | undefined;
  /**
   * The usage table's `method`: a method known to the plan (priced by name, built in or by the
   * plan, or listed in its allow / deny lists) keeps its name; any other is `other`. Known
   * names are well-formed, so the request path checks the name's characters only for others.
   */
  readonly usageLabels: MethodLabels;
  private readonly networks: ReadonlySet<string> | undefined;
  private readonly allowed: ReadonlySet<string> | undefined;
  private readonly denied: ReadonlySet<string>;

  constructor(readonly plan: Plan) {
    this.units = new ComputeUnitTable(plan.computeUnits);
    this.rate = plan.rateLimit;
    this.ratePerMethod = plan.ratePerMethod;
    this.quota =
      plan.monthlyQuota === undefined ? undefined : { limit: plan.monthlyQuota, unit: plan.quotaUnit };
    this.networks = plan.allowedNetworks === undefined ? undefined : new Set(plan.allowedNetworks);
    this.allowed = plan.allowedMethods === undefined ? undefined : new Set(plan.allowedMethods);
    this.denied = new Set(plan.deniedMethods);
    const known = new Set<string>();
    for (const list of [this.units.names(), plan.deniedMethods, plan.allowedMethods ?? []])
      for (const method of list) if (isMethodName(method)) known.add(method);
    this.usageLabels = new MethodLabels(0, known);
  }

  allowsNetwork(network: string): boolean {
    return this.networks === undefined || this.networks.has(network);
  }

  allowsMethod(method: string): boolean {
    if (this.denied.has(method)) return false;
    return this.allowed === undefined || this.allowed.has(method);
  }
}

/** Keys of one plan share one compiled PlanRules until the plan changes. */
export class PlanRulesCache {
  private readonly byId = new Map<string, PlanRules>();

  get(plan: Plan): PlanRules {
    const cached = this.byId.get(plan.id);
    if (cached !== undefined && cached.plan.updatedAt === plan.updatedAt) return cached;
    const rules = new PlanRules(plan);
    this.byId.set(plan.id, rules);
    return rules;
  }
}
