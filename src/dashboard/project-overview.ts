/**
 * What the project view shows of one project, read from the tenancy store: the project and its
 * plan's limits, credits and month-to-date usage (as quota and credit checks see them), usage
 * per day over the last 30 days, today's by network and method and by outcome (refusals such
 * as ERR_RATE_LIMITED included), and its keys (display prefixes only). Usage is what the meters
 * have flushed (every `tenancy.usageFlushMs`).
 */
import type { TenancyStore, UsageRow } from '../tenancy/model.js';

const DAYS_SHOWN = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface ProjectOverview {
  readonly project: { readonly id: string; readonly name: string; readonly createdAt: number };
  readonly plan: {
    readonly name: string;
    readonly rateLimit: { readonly perSecond: number; readonly burst: number } | null;
    readonly ratePerMethod: boolean;
    readonly monthlyQuota: number | null;
    readonly quotaUnit: string;
    readonly allowedNetworks: readonly string[] | null;
    readonly allowedMethods: readonly string[] | null;
    readonly deniedMethods: readonly string[];
  };
  /** Prepaid compute units left; null when the project is not prepaid. */
  readonly credits: number | null;
  readonly month: { readonly requests: number; readonly computeUnits: number };
  readonly days: readonly UsageRow[];
  readonly today: {
    readonly day: string;
    readonly byNetworkMethod: readonly UsageRow[];
    readonly byOutcome: readonly UsageRow[];
  };
  readonly keys: readonly {
    readonly id: string;
    readonly name: string;
    readonly prefix: string;
    readonly createdAt: number;
    readonly expiresAt: number | null;
    readonly revokedAt: number | null;
  }[];
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Undefined when there is no such project. */
export async function projectOverview(
  store: TenancyStore,
  projectId: string,
  now = Date.now(),
): Promise<ProjectOverview | undefined> {
  const project = await store.getProject(projectId);
  if (project === undefined || project.id !== projectId) return undefined;
  const today = utcDay(now);
  const [plan, balances, days, byNetworkMethod, byOutcome, keys] = await Promise.all([
    store.getPlan(project.planId),
    store.balances([projectId], now),
    store.queryUsage({
      projectId,
      from: utcDay(now - (DAYS_SHOWN - 1) * DAY_MS),
      to: today,
      groupBy: ['day'],
    }),
    store.queryUsage({ projectId, from: today, to: today, groupBy: ['network', 'method'] }),
    store.queryUsage({ projectId, from: today, to: today, groupBy: ['outcome'] }),
    store.listKeys({ projectId }),
  ]);
  const balance = balances.get(projectId);
  return {
    project: { id: project.id, name: project.name, createdAt: project.createdAt },
    plan: {
      name: plan?.name ?? project.planId,
      rateLimit: plan?.rateLimit ?? null,
      ratePerMethod: plan?.ratePerMethod ?? false,
      monthlyQuota: plan?.monthlyQuota ?? null,
      quotaUnit: plan?.quotaUnit ?? 'requests',
      allowedNetworks: plan?.allowedNetworks ?? null,
      allowedMethods: plan?.allowedMethods ?? null,
      deniedMethods: plan?.deniedMethods ?? [],
    },
    credits: balance?.credits ?? project.credits ?? null,
    month: { requests: balance?.monthRequests ?? 0, computeUnits: balance?.monthComputeUnits ?? 0 },
    days: [...days].sort((a, b) => (a.day ?? '').localeCompare(b.day ?? '')),
    today: {
      day: today,
      byNetworkMethod: [...byNetworkMethod].sort((a, b) => b.requests - a.requests),
      byOutcome: [...byOutcome].sort((a, b) => b.requests - a.requests),
    },
    keys: keys.map((key) => ({
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      createdAt: key.createdAt,
      expiresAt: key.expiresAt ?? null,
      revokedAt: key.revokedAt ?? null,
    })),
  };
}
