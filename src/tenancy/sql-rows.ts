/**
 * Row ↔ model mapping for the SQL tenancy store. SQL `null` becomes an absent property (never
 * `undefined`), JSON text columns become arrays and maps, and a grant row (key + project +
 * plan joined, each column prefixed by its table) splits back into its three parts.
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import { GatewayError } from '../errors/gateway-error.js';
import type { ApiKeysTable, PlansTable, ProjectsTable } from '../store/tables.js';
import type { ApiKey, KeyGrant, Plan, PlanInput, PlanPatch, Project } from './model.js';

export function planFromRow(row: Selectable<PlansTable>): Plan {
  const allowedNetworks = parseList(row.allowed_networks);
  const allowedMethods = parseList(row.allowed_methods);
  return {
    id: row.id,
    name: row.name,
    ...(row.rate_per_second !== null && row.rate_burst !== null
      ? { rateLimit: { perSecond: row.rate_per_second, burst: row.rate_burst } }
      : {}),
    ratePerMethod: row.rate_per_method !== 0,
    ...(row.monthly_quota !== null ? { monthlyQuota: row.monthly_quota } : {}),
    quotaUnit: row.quota_unit === 'compute_units' ? 'compute_units' : 'requests',
    computeUnits: JSON.parse(row.compute_units) as Record<string, number>,
    ...(allowedNetworks !== undefined ? { allowedNetworks } : {}),
    ...(allowedMethods !== undefined ? { allowedMethods } : {}),
    deniedMethods: parseList(row.denied_methods) ?? [],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function projectFromRow(row: Selectable<ProjectsTable>): Project {
  return {
    id: row.id,
    name: row.name,
    planId: row.plan_id,
    ...(row.credits !== null ? { credits: row.credits } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The hash stays in the database: an ApiKey never carries it. */
export function keyFromRow(row: Omit<Selectable<ApiKeysTable>, 'hash'>): ApiKey {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}),
    ...(row.revoked_at !== null ? { revokedAt: row.revoked_at } : {}),
    ...(row.rotated_from !== null ? { rotatedFrom: row.rotated_from } : {}),
  };
}

type PlanColumns = Omit<Insertable<PlansTable>, 'id' | 'created_at' | 'updated_at'>;

export function planInputToRow(input: PlanInput): PlanColumns {
  checkPlanValues(input);
  return {
    name: input.name,
    rate_per_second: input.rateLimit?.perSecond ?? null,
    rate_burst: input.rateLimit?.burst ?? null,
    rate_per_method: input.ratePerMethod === true ? 1 : 0,
    monthly_quota: input.monthlyQuota ?? null,
    quota_unit: input.quotaUnit ?? 'requests',
    compute_units: JSON.stringify(input.computeUnits ?? {}),
    allowed_networks: listToText(input.allowedNetworks),
    allowed_methods: listToText(input.allowedMethods),
    denied_methods: JSON.stringify(input.deniedMethods ?? []),
  };
}

/**
 * Only the fields present in the patch. `null` clears an optional field and puts a required
 * one back to its default (a plan's name cannot be cleared).
 */
export function planPatchToRow(patch: PlanPatch): Updateable<PlansTable> {
  if (patch.name === null) throw new GatewayError('ERR_ADMIN_INVALID', 'a plan name cannot be cleared');
  checkPlanValues(patch);
  const row: Updateable<PlansTable> = {};
  if (patch.name !== undefined) row.name = patch.name;
  if (patch.rateLimit !== undefined) {
    row.rate_per_second = patch.rateLimit?.perSecond ?? null;
    row.rate_burst = patch.rateLimit?.burst ?? null;
  }
  if (patch.ratePerMethod !== undefined) row.rate_per_method = patch.ratePerMethod === true ? 1 : 0;
  if (patch.monthlyQuota !== undefined) row.monthly_quota = patch.monthlyQuota;
  if (patch.quotaUnit !== undefined) row.quota_unit = patch.quotaUnit ?? 'requests';
  if (patch.computeUnits !== undefined) row.compute_units = JSON.stringify(patch.computeUnits ?? {});
  if (patch.allowedNetworks !== undefined) row.allowed_networks = listToText(patch.allowedNetworks);
  if (patch.allowedMethods !== undefined) row.allowed_methods = listToText(patch.allowedMethods);
  if (patch.deniedMethods !== undefined) row.denied_methods = JSON.stringify(patch.deniedMethods ?? []);
  return row;
}

/** Values no plan can have; the admin API validates shapes, this guards the columns. */
function checkPlanValues(plan: PlanPatch): void {
  const { rateLimit, monthlyQuota, computeUnits } = plan;
  if (
    rateLimit != null &&
    !(rateLimit.perSecond > 0 && Number.isInteger(rateLimit.burst) && rateLimit.burst >= 1)
  )
    invalid('rateLimit needs perSecond > 0 and an integer burst >= 1');
  if (monthlyQuota != null && !(Number.isSafeInteger(monthlyQuota) && monthlyQuota >= 0))
    invalid('monthlyQuota must be a whole number >= 0');
  for (const [method, units] of Object.entries(computeUnits ?? {}))
    if (!(Number.isSafeInteger(units) && units >= 0))
      invalid(`computeUnits.${method} must be a whole number >= 0`);
}

export function invalid(message: string): never {
  throw new GatewayError('ERR_ADMIN_INVALID', message);
}

export function notFound(what: 'plan' | 'project' | 'key', id: string): GatewayError {
  return new GatewayError('ERR_ADMIN_NOT_FOUND', `no ${what} ${id}`);
}

function listToText(list: readonly string[] | null | undefined): string | null {
  return list == null ? null : JSON.stringify(list);
}

function parseList(text: string | null): string[] | undefined {
  return text === null ? undefined : (JSON.parse(text) as string[]);
}

/**
 * The columns of a grant query: every column of the three tables, prefixed by table so the
 * joined row has no clashing names (`key_id`, `project_id`, `plan_id`, …).
 */
export const GRANT_COLUMNS = [
  'api_keys.id as key_id',
  'api_keys.project_id as key_project_id',
  'api_keys.name as key_name',
  'api_keys.prefix as key_prefix',
  'api_keys.hash as key_hash',
  'api_keys.created_at as key_created_at',
  'api_keys.expires_at as key_expires_at',
  'api_keys.revoked_at as key_revoked_at',
  'api_keys.rotated_from as key_rotated_from',
  'projects.id as project_id',
  'projects.name as project_name',
  'projects.plan_id as project_plan_id',
  'projects.credits as project_credits',
  'projects.created_at as project_created_at',
  'projects.updated_at as project_updated_at',
  'plans.id as plan_id',
  'plans.name as plan_name',
  'plans.rate_per_second as plan_rate_per_second',
  'plans.rate_burst as plan_rate_burst',
  'plans.rate_per_method as plan_rate_per_method',
  'plans.monthly_quota as plan_monthly_quota',
  'plans.quota_unit as plan_quota_unit',
  'plans.compute_units as plan_compute_units',
  'plans.allowed_networks as plan_allowed_networks',
  'plans.allowed_methods as plan_allowed_methods',
  'plans.denied_methods as plan_denied_methods',
  'plans.created_at as plan_created_at',
  'plans.updated_at as plan_updated_at',
] as const;

type Prefixed<T, P extends string> = { [K in keyof T & string as `${P}${K}`]: T[K] };

export type GrantRow = Prefixed<Selectable<ApiKeysTable>, 'key_'> &
  Prefixed<Selectable<ProjectsTable>, 'project_'> &
  Prefixed<Selectable<PlansTable>, 'plan_'>;

export function grantFromRow(row: GrantRow): KeyGrant {
  return {
    key: keyFromRow(unprefix<Selectable<ApiKeysTable>>(row, 'key_')),
    project: projectFromRow(unprefix<Selectable<ProjectsTable>>(row, 'project_')),
    plan: planFromRow(unprefix<Selectable<PlansTable>>(row, 'plan_')),
  };
}

/** No prefix is the start of another (`key_`, `project_`, `plan_`), so each column lands once. */
function unprefix<T>(row: object, prefix: string): T {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row))
    if (name.startsWith(prefix)) out[name.slice(prefix.length)] = value;
  return out as T;
}
