/**
 * The tenancy model and the durable store behind it. One `TenancyStore` interface, one SQL
 * implementation over Kysely (SQLite and PostgreSQL), one conformance suite for both.
 */

export type QuotaUnit = 'requests' | 'compute_units';

export interface Plan {
  readonly id: string;
  readonly name: string;
  /** GCRA rate per key; undefined = no rate limit. */
  readonly rateLimit?: { readonly perSecond: number; readonly burst: number };
  /** The rate limit applies to each method of a key separately (a bucket per method). */
  readonly ratePerMethod: boolean;
  readonly monthlyQuota?: number;
  readonly quotaUnit: QuotaUnit;
  /** Method → compute units, over the built-in table (see compute-units.ts). */
  readonly computeUnits: Readonly<Record<string, number>>;
  /** undefined = every network. */
  readonly allowedNetworks?: readonly string[];
  /** undefined = every method. */
  readonly allowedMethods?: readonly string[];
  readonly deniedMethods: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type PlanInput = Omit<
  Plan,
  'id' | 'createdAt' | 'updatedAt' | 'ratePerMethod' | 'quotaUnit' | 'computeUnits' | 'deniedMethods'
> &
  Partial<Pick<Plan, 'ratePerMethod' | 'quotaUnit' | 'computeUnits' | 'deniedMethods'>>;

/** Fields a plan update may change; `null` clears an optional one. */
export type PlanPatch = {
  readonly [K in keyof PlanInput]?: PlanInput[K] | null;
};

export interface Project {
  readonly id: string;
  readonly name: string;
  readonly planId: string;
  /** Prepaid compute units left; undefined = no prepaid limit. */
  readonly credits?: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface ApiKey {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  /** Display prefix, e.g. `tp_3Fq9`. */
  readonly prefix: string;
  readonly createdAt: number;
  readonly expiresAt?: number;
  readonly revokedAt?: number;
  readonly rotatedFrom?: string;
}

/** Returned once, when a key is created or rotated: the only time the secret exists. */
export interface IssuedKey {
  readonly key: ApiKey;
  readonly secret: string;
}

/** What the hot path needs about a key, in one read (key + project + plan). */
export interface KeyGrant {
  readonly key: ApiKey;
  readonly project: Project;
  readonly plan: Plan;
}

/** One aggregate the meter flushes: counts to add for key × network × method × outcome on a day. */
export interface UsageDelta {
  readonly day: string;
  readonly projectId: string;
  readonly keyId: string;
  readonly network: string;
  readonly method: string;
  readonly outcome: string;
  readonly requests: number;
  readonly computeUnits: number;
  readonly bytes: number;
}

export type UsageDimension = 'day' | 'project' | 'key' | 'network' | 'method' | 'outcome';

export interface UsageQuery {
  readonly projectId?: string;
  readonly keyId?: string;
  /** Inclusive UTC days, `YYYY-MM-DD`. */
  readonly from?: string;
  readonly to?: string;
  readonly groupBy: readonly UsageDimension[];
}

export interface UsageRow {
  readonly day?: string;
  readonly projectId?: string;
  readonly keyId?: string;
  readonly network?: string;
  readonly method?: string;
  readonly outcome?: string;
  readonly requests: number;
  readonly computeUnits: number;
  readonly bytes: number;
}

/** What quota and credit checks need per project, refreshed often. */
export interface ProjectBalance {
  readonly projectId: string;
  readonly credits?: number;
  /** Month-to-date admitted requests and compute units (refused requests are not counted). */
  readonly monthRequests: number;
  readonly monthComputeUnits: number;
}

export interface TenancyStore {
  createPlan(input: PlanInput): Promise<Plan>;
  updatePlan(id: string, patch: PlanPatch): Promise<Plan>;
  getPlan(idOrName: string): Promise<Plan | undefined>;
  listPlans(): Promise<Plan[]>;
  /** Fails with ERR_ADMIN_CONFLICT while a project uses it. */
  deletePlan(id: string): Promise<void>;

  createProject(input: { name: string; planId: string; credits?: number }): Promise<Project>;
  updateProject(id: string, patch: { name?: string; planId?: string }): Promise<Project>;
  getProject(idOrName: string): Promise<Project | undefined>;
  listProjects(): Promise<Project[]>;

  /** Adds (or, negative, removes) prepaid credits; starts prepaid accounting for the project. */
  topUpCredits(projectId: string, amount: number, reason: string): Promise<Project>;

  createKey(input: { projectId: string; name?: string }): Promise<IssuedKey>;
  /** Issues a new key for the same project; the old one stops after `graceSeconds` (0 = now). */
  rotateKey(id: string, graceSeconds?: number): Promise<IssuedKey>;
  revokeKey(id: string): Promise<ApiKey>;
  getKey(id: string): Promise<ApiKey | undefined>;
  listKeys(filter?: { projectId?: string }): Promise<ApiKey[]>;

  /** The grant for a key hash if the key exists and has not expired or been revoked at `now`. */
  findGrant(hash: string, now: number): Promise<KeyGrant | undefined>;
  /** Grants for many hashes in one query (cache refresh); missing = no longer valid. */
  findGrants(hashes: readonly string[], now: number): Promise<Map<string, KeyGrant>>;
  /** Credits and month-to-date usage for projects, in one query. */
  balances(projectIds: readonly string[], now: number): Promise<Map<string, ProjectBalance>>;

  /**
   * Adds usage aggregates and debits credits (sum of compute units per prepaid project) in one
   * transaction: either all of a flush lands or none of it.
   */
  recordUsage(deltas: readonly UsageDelta[]): Promise<void>;
  /** One SQL query per call whatever the grouping. */
  queryUsage(query: UsageQuery): Promise<UsageRow[]>;

  /** Highest change id; grows with every admin change (keys, plans, projects, credits top-ups). */
  changeVersion(): Promise<number>;
}

/** Outcomes that mean the request was refused before it was served (not charged). */
export const REFUSED_OUTCOMES: ReadonlySet<string> = new Set([
  'ERR_INVALID_METHOD_NAME',
  'ERR_NETWORK_NOT_ALLOWED',
  'ERR_METHOD_NOT_ALLOWED',
  'ERR_CREDITS_EXHAUSTED',
  'ERR_QUOTA_EXCEEDED',
  'ERR_RATE_LIMITED',
]);
