/**
 * The TenancyStore over Kysely, identical on SQLite and PostgreSQL. Every admin change writes
 * its row and a `tenancy_changes` row in one transaction, so a process that sees a new change
 * id also sees the change. Usage metering lives in sql-usage.ts, key rows in sql-keys.ts,
 * row mapping in sql-rows.ts.
 */
import type { Kysely } from 'kysely';
import { GatewayError } from '../errors/gateway-error.js';
import type { StoreDatabase } from '../store/database.js';
import type { Database } from '../store/tables.js';
import { newId } from './ids.js';
import type {
  ApiKey,
  IssuedKey,
  KeyGrant,
  Plan,
  PlanInput,
  PlanPatch,
  Project,
  ProjectBalance,
  TenancyStore,
  UsageDelta,
  UsageQuery,
  UsageRow,
} from './model.js';
import { grantQuery, issueKey, KEY_COLUMNS, revokeKey, rotateKey } from './sql-keys.js';
import {
  grantFromRow,
  invalid,
  keyFromRow,
  notFound,
  planFromRow,
  planInputToRow,
  planPatchToRow,
  projectFromRow,
} from './sql-rows.js';
import { balances, IDS_PER_QUERY, queryUsage, recordUsage } from './sql-usage.js';
import { brokenConstraint, recordChange, type WriteWork, writeTransaction } from './sql-write-transaction.js';

/** A foreign key refused the change: a row it names went away, or rows still name this one. */
const DANGLING_REFERENCE = 'refers to a row that no longer exists, or is still referred to';

export class SqlTenancyStore implements TenancyStore {
  private readonly db: Kysely<Database>;

  constructor(
    private readonly store: StoreDatabase,
    private readonly now: () => number = Date.now,
  ) {
    this.db = store.db;
  }

  async createPlan(input: PlanInput): Promise<Plan> {
    const now = this.now();
    const row = { id: newId('pln'), ...planInputToRow(input), created_at: now, updated_at: now };
    return this.write(async (db) => {
      const plan = await db.insertInto('plans').values(row).returningAll().executeTakeFirstOrThrow();
      await recordChange(db, 'plan', plan.id, now);
      return planFromRow(plan);
    }, `plan name "${input.name}" is taken`);
  }

  async updatePlan(id: string, patch: PlanPatch): Promise<Plan> {
    const now = this.now();
    const columns = { ...planPatchToRow(patch), updated_at: now };
    return this.write(async (db) => {
      const plan = await db
        .updateTable('plans')
        .set(columns)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (plan === undefined) throw notFound('plan', id);
      await recordChange(db, 'plan', id, now);
      return planFromRow(plan);
    }, `plan name "${patch.name}" is taken`);
  }

  async getPlan(idOrName: string): Promise<Plan | undefined> {
    const rows = await this.db
      .selectFrom('plans')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .execute();
    // A name may look like another plan's id; the id wins.
    const row = rows.find((plan) => plan.id === idOrName) ?? rows[0];
    return row === undefined ? undefined : planFromRow(row);
  }

  async listPlans(): Promise<Plan[]> {
    const rows = await this.db.selectFrom('plans').selectAll().orderBy('name').execute();
    return rows.map(planFromRow);
  }

  async deletePlan(id: string): Promise<void> {
    const now = this.now();
    await this.write(async (db) => {
      const user = await db
        .selectFrom('projects')
        .select('name')
        .where('plan_id', '=', id)
        .executeTakeFirst();
      if (user !== undefined)
        throw new GatewayError('ERR_ADMIN_CONFLICT', `plan ${id} is used by project "${user.name}"`);
      const deleted = await db.deleteFrom('plans').where('id', '=', id).executeTakeFirst();
      if (deleted.numDeletedRows === 0n) throw notFound('plan', id);
      await recordChange(db, 'plan', id, now);
    }, `plan ${id} is in use`);
  }

  async createProject(input: { name: string; planId: string; credits?: number }): Promise<Project> {
    if (input.credits !== undefined) checkCredits(input.credits);
    const now = this.now();
    const id = newId('prj');
    return this.write(async (db) => {
      await requirePlan(db, input.planId);
      const project = await db
        .insertInto('projects')
        .values({
          id,
          name: input.name,
          plan_id: input.planId,
          credits: input.credits ?? null,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      // Opening credits go in the ledger too: top-ups minus metered usage gives the balance.
      if (input.credits !== undefined && input.credits !== 0)
        await addCreditEntry(db, id, input.credits, 'initial credits', now);
      await recordChange(db, 'project', id, now);
      return projectFromRow(project);
    }, `project name "${input.name}" is taken`);
  }

  async updateProject(id: string, patch: { name?: string; planId?: string }): Promise<Project> {
    const now = this.now();
    return this.write(async (db) => {
      if (patch.planId !== undefined) await requirePlan(db, patch.planId);
      const project = await db
        .updateTable('projects')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.planId !== undefined ? { plan_id: patch.planId } : {}),
          updated_at: now,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (project === undefined) throw notFound('project', id);
      await recordChange(db, 'project', id, now);
      return projectFromRow(project);
    }, `project name "${patch.name}" is taken`);
  }

  async getProject(idOrName: string): Promise<Project | undefined> {
    const rows = await this.db
      .selectFrom('projects')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .execute();
    const row = rows.find((project) => project.id === idOrName) ?? rows[0];
    return row === undefined ? undefined : projectFromRow(row);
  }

  async listProjects(): Promise<Project[]> {
    const rows = await this.db.selectFrom('projects').selectAll().orderBy('name').execute();
    return rows.map(projectFromRow);
  }

  async topUpCredits(projectId: string, amount: number, reason: string): Promise<Project> {
    checkCredits(amount);
    const now = this.now();
    return this.write(async (db) => {
      const project = await db
        .updateTable('projects')
        .set((eb) => ({ credits: eb(eb.fn.coalesce('credits', eb.lit(0)), '+', amount), updated_at: now }))
        .where('id', '=', projectId)
        .returningAll()
        .executeTakeFirst();
      if (project === undefined) throw notFound('project', projectId);
      await addCreditEntry(db, projectId, amount, reason, now);
      await recordChange(db, 'project', projectId, now);
      return projectFromRow(project);
    });
  }

  async createKey(input: { projectId: string; name?: string }): Promise<IssuedKey> {
    const now = this.now();
    return this.write(async (db) => {
      const project = await db
        .selectFrom('projects')
        .select('id')
        .where('id', '=', input.projectId)
        .executeTakeFirst();
      if (project === undefined) throw notFound('project', input.projectId);
      return issueKey(db, { projectId: input.projectId, name: input.name ?? '', now });
    });
  }

  async rotateKey(id: string, graceSeconds = 0): Promise<IssuedKey> {
    if (!(Number.isFinite(graceSeconds) && graceSeconds >= 0)) invalid('graceSeconds must be >= 0');
    const now = this.now();
    return this.write((db) => rotateKey(db, id, graceSeconds, now));
  }

  async revokeKey(id: string): Promise<ApiKey> {
    const now = this.now();
    return this.write((db) => revokeKey(db, id, now));
  }

  async getKey(id: string): Promise<ApiKey | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .select(KEY_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : keyFromRow(row);
  }

  async listKeys(filter: { projectId?: string } = {}): Promise<ApiKey[]> {
    let select = this.db.selectFrom('api_keys').select(KEY_COLUMNS);
    if (filter.projectId !== undefined) select = select.where('project_id', '=', filter.projectId);
    const rows = await select.orderBy('created_at').orderBy('id').execute();
    return rows.map(keyFromRow);
  }

  async findGrant(hash: string, now: number): Promise<KeyGrant | undefined> {
    const row = await grantQuery(this.db, now).where('api_keys.hash', '=', hash).executeTakeFirst();
    return row === undefined ? undefined : grantFromRow(row);
  }

  async findGrants(hashes: readonly string[], now: number): Promise<Map<string, KeyGrant>> {
    const grants = new Map<string, KeyGrant>();
    const unique = [...new Set(hashes)];
    for (let at = 0; at < unique.length; at += IDS_PER_QUERY) {
      const rows = await grantQuery(this.db, now)
        .where('api_keys.hash', 'in', unique.slice(at, at + IDS_PER_QUERY))
        .execute();
      for (const row of rows) grants.set(row.key_hash, grantFromRow(row));
    }
    return grants;
  }

  balances(projectIds: readonly string[], now: number): Promise<Map<string, ProjectBalance>> {
    return balances(this.db, projectIds, now);
  }

  recordUsage(deltas: readonly UsageDelta[]): Promise<void> {
    return recordUsage(this.store, deltas, this.now());
  }

  queryUsage(query: UsageQuery): Promise<UsageRow[]> {
    return queryUsage(this.db, query);
  }

  async changeVersion(): Promise<number> {
    const row = await this.db
      .selectFrom('tenancy_changes')
      .select((eb) => eb.fn.max('id').as('version'))
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }

  /** A write transaction whose unique-name and missing-plan violations become admin conflicts. */
  private async write<T>(work: WriteWork<T>, duplicateMessage = 'conflicts with existing data'): Promise<T> {
    try {
      return await writeTransaction(this.store, work);
    } catch (err) {
      const constraint = brokenConstraint(err);
      if (constraint === 'unique')
        throw new GatewayError('ERR_ADMIN_CONFLICT', duplicateMessage, { cause: err });
      if (constraint === 'foreign_key')
        throw new GatewayError('ERR_ADMIN_CONFLICT', DANGLING_REFERENCE, { cause: err });
      throw err;
    }
  }
}

async function addCreditEntry(
  db: Kysely<Database>,
  projectId: string,
  amount: number,
  reason: string,
  now: number,
) {
  await db
    .insertInto('credit_entries')
    .values({ project_id: projectId, amount, reason, created_at: now })
    .execute();
}

/** A project must name an existing plan (the foreign key would also refuse, less clearly). */
async function requirePlan(db: Kysely<Database>, planId: string): Promise<void> {
  const plan = await db.selectFrom('plans').select('id').where('id', '=', planId).executeTakeFirst();
  if (plan === undefined) throw new GatewayError('ERR_ADMIN_CONFLICT', `plan ${planId} does not exist`);
}

/** Credits are a bigint column: whole compute units only. */
function checkCredits(amount: number): void {
  if (!Number.isSafeInteger(amount)) invalid('credits must be a whole number');
}
