/**
 * Usage metering in SQL: flushing aggregates (with the credit debit), month-to-date balances
 * and usage reports. Each is one statement per chunk of rows, the same in both dialects.
 */
import type { Insertable, Kysely } from 'kysely';
import type { StoreDatabase } from '../store/database.js';
import type { Database, UsageDailyTable } from '../store/tables.js';
import {
  type ProjectBalance,
  REFUSED_OUTCOMES,
  type UsageDelta,
  type UsageDimension,
  type UsageQuery,
  type UsageRow,
} from './model.js';
import { invalid } from './sql-rows.js';
import { writeTransaction } from './sql-write-transaction.js';

/** Rows per statement: 9 parameters each stays far below both dialects' parameter limits. */
const ROWS_PER_INSERT = 500;
/** Ids per `in (…)` list. */
export const IDS_PER_QUERY = 500;

const REFUSED = [...REFUSED_OUTCOMES];

export async function recordUsage(store: StoreDatabase, deltas: readonly UsageDelta[], now: number) {
  if (deltas.length === 0) return;
  const rows = mergeDeltas(deltas);
  const debits = new Map<string, number>();
  for (const row of rows) debits.set(row.project_id, (debits.get(row.project_id) ?? 0) + row.compute_units);
  await writeTransaction(store, async (db) => {
    for (let at = 0; at < rows.length; at += ROWS_PER_INSERT) {
      await db
        .insertInto('usage_daily')
        .values(rows.slice(at, at + ROWS_PER_INSERT))
        .onConflict((conflict) =>
          conflict.columns(['day', 'key_id', 'network', 'method', 'outcome']).doUpdateSet((eb) => ({
            // Add to what is there, never overwrite: other processes flush into the same rows.
            requests: eb('usage_daily.requests', '+', eb.ref('excluded.requests')),
            compute_units: eb('usage_daily.compute_units', '+', eb.ref('excluded.compute_units')),
            bytes: eb('usage_daily.bytes', '+', eb.ref('excluded.bytes')),
          })),
        )
        .execute();
    }
    // Sorted, like the usage rows, so concurrent flushes lock rows in the same order.
    for (const projectId of [...debits.keys()].sort()) {
      const amount = debits.get(projectId) ?? 0;
      if (amount === 0) continue;
      // Credits may go below zero: requests are admitted against a cached balance and debited
      // here afterwards, by several processes at once, so the last flush can overshoot. The
      // next balance refresh then refuses further requests until a top-up.
      // No credit_entries row per flush: usage_daily already is the ledger of spending, and a
      // row per flush per process (86,400 a day each) would grow without bound.
      await debitCredits(db, projectId, amount, now);
    }
  });
}

/** Leaves projects without prepaid credits (null) alone. */
async function debitCredits(db: Kysely<Database>, projectId: string, amount: number, now: number) {
  await db
    .updateTable('projects')
    .set((eb) => ({ credits: eb('credits', '-', amount), updated_at: now }))
    .where('id', '=', projectId)
    .where('credits', 'is not', null)
    .execute();
}

/**
 * One row per primary key, in a fixed order: PostgreSQL refuses an upsert that touches the
 * same row twice in one statement, and a shared lock order keeps concurrent flushes from
 * deadlocking.
 */
function mergeDeltas(deltas: readonly UsageDelta[]): Insertable<UsageDailyTable>[] {
  const merged = new Map<
    string,
    Insertable<UsageDailyTable> & { requests: number; compute_units: number; bytes: number }
  >();
  for (const delta of deltas) {
    const id = [delta.day, delta.keyId, delta.network, delta.method, delta.outcome].join('\u0000');
    const row = merged.get(id);
    if (row === undefined)
      merged.set(id, {
        day: delta.day,
        project_id: delta.projectId,
        key_id: delta.keyId,
        network: delta.network,
        method: delta.method,
        outcome: delta.outcome,
        requests: delta.requests,
        compute_units: delta.computeUnits,
        bytes: delta.bytes,
      });
    else {
      row.requests += delta.requests;
      row.compute_units += delta.computeUnits;
      row.bytes += delta.bytes;
    }
  }
  return [...merged.keys()].sort().map((id) => merged.get(id)!);
}

export async function balances(
  db: Kysely<Database>,
  projectIds: readonly string[],
  now: number,
): Promise<Map<string, ProjectBalance>> {
  const result = new Map<string, ProjectBalance>();
  const ids = [...new Set(projectIds)];
  const { first, next } = monthOf(now);
  for (let at = 0; at < ids.length; at += IDS_PER_QUERY) {
    const rows = await db
      .selectFrom('projects')
      // Conditions on usage belong in the join, so a project without usage still gets its row.
      .leftJoin('usage_daily', (join) =>
        join
          .onRef('usage_daily.project_id', '=', 'projects.id')
          .on('usage_daily.day', '>=', first)
          .on('usage_daily.day', '<', next)
          .on('usage_daily.outcome', 'not in', REFUSED),
      )
      .where('projects.id', 'in', ids.slice(at, at + IDS_PER_QUERY))
      .groupBy(['projects.id', 'projects.credits'])
      .select((eb) => [
        'projects.id as id',
        'projects.credits as credits',
        eb.fn.coalesce(eb.fn.sum<number>('usage_daily.requests'), eb.lit(0)).as('requests'),
        eb.fn.coalesce(eb.fn.sum<number>('usage_daily.compute_units'), eb.lit(0)).as('compute_units'),
      ])
      .execute();
    for (const row of rows)
      result.set(row.id, {
        projectId: row.id,
        ...(row.credits !== null ? { credits: row.credits } : {}),
        monthRequests: Number(row.requests),
        monthComputeUnits: Number(row.compute_units),
      });
  }
  return result;
}

/** First day of the UTC month of `now` and of the month after, as `YYYY-MM-DD`. */
function monthOf(now: number): { first: string; next: string } {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const day = (y: number, m: number) => new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
  return { first: day(year, month), next: day(year, month + 1) };
}

/** Each dimension's column and the UsageRow property that carries it. */
const DIMENSIONS = {
  day: { column: 'day', property: 'day' },
  project: { column: 'project_id', property: 'projectId' },
  key: { column: 'key_id', property: 'keyId' },
  network: { column: 'network', property: 'network' },
  method: { column: 'method', property: 'method' },
  outcome: { column: 'outcome', property: 'outcome' },
} as const satisfies Record<UsageDimension, { column: keyof UsageDailyTable; property: keyof UsageRow }>;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

type MutableUsageRow = { -readonly [K in keyof UsageRow]: UsageRow[K] };

export async function queryUsage(db: Kysely<Database>, query: UsageQuery): Promise<UsageRow[]> {
  const dimensions = [...new Set(query.groupBy)].map((name) => {
    // Names reach SQL as identifiers, so only the known ones pass.
    if (!Object.hasOwn(DIMENSIONS, name)) invalid(`cannot group usage by "${String(name)}"`);
    return DIMENSIONS[name];
  });
  for (const day of [query.from, query.to])
    if (day !== undefined && !DAY.test(day)) invalid(`"${day}" is not a YYYY-MM-DD day`);
  const columns = dimensions.map((dimension) => dimension.column);
  let select = db
    .selectFrom('usage_daily')
    .select(columns)
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('requests'), eb.lit(0)).as('sum_requests'),
      eb.fn.coalesce(eb.fn.sum<number>('compute_units'), eb.lit(0)).as('sum_compute_units'),
      eb.fn.coalesce(eb.fn.sum<number>('bytes'), eb.lit(0)).as('sum_bytes'),
    ]);
  if (query.projectId !== undefined) select = select.where('project_id', '=', query.projectId);
  if (query.keyId !== undefined) select = select.where('key_id', '=', query.keyId);
  if (query.from !== undefined) select = select.where('day', '>=', query.from);
  if (query.to !== undefined) select = select.where('day', '<=', query.to);
  if (columns.length > 0) select = select.groupBy(columns);
  for (const column of columns) select = select.orderBy(column);
  const rows = await select.execute();
  return rows.map((row) => {
    const out: MutableUsageRow = {
      requests: Number(row.sum_requests),
      computeUnits: Number(row.sum_compute_units),
      bytes: Number(row.sum_bytes),
    };
    for (const { column, property } of dimensions) out[property] = String(row[column]);
    return out;
  });
}
