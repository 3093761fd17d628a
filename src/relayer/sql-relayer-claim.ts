/**
 * Claiming a batch in SQL: fair between projects, and fitted to what the key can pay.
 *
 * Fairness: the projects with waiting transfers are taken in turn. Each claim starts at the
 * project after the one that led the previous claim (a cursor per store, so per process), takes
 * the token of that project's oldest waiting transfer, and fills the batch with the oldest
 * transfers of that token of every waiting project (up to MAX_PROJECTS), an equal share each,
 * what a project leaves unused going to the others. A project with 50,000 waiting transfers
 * thus delays another's single one by at most one batch. The projects are found by skipping
 * through the queue's (project_id, seq) index, one seek per project, not by reading the queue.
 *
 * Funds: given what the key can spend of each token, a transfer that does not fit what is left
 * is skipped (left for this key later, or for another key) and never stops the ones behind it;
 * one larger than all the key holds is marked `unfunded_at`, and fails after
 * `relayer.unfundedTimeoutMs` unless some key claims it first (failUnfunded).
 *
 * On PostgreSQL claimers skip rows another claimer holds (FOR UPDATE SKIP LOCKED).
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { StoreDatabase } from '../store/store-database.js';
import type { Database } from '../store/tables.js';
import { IS_QUEUED } from '../store/transfer-predicates.js';
import { writeTransaction } from '../tenancy/sql-write-transaction.js';
import type { Batch, KeyLease } from './model.js';
import type { ClaimOptions, SettledTransfers, TokenFunds } from './relayer-store.js';
import { type BatchWriteOptions, insertBatch, settledEntry } from './sql-relayer-batches.js';
import { chunks, fence, IDS_PER_QUERY } from './sql-relayer-rows.js';
import { enqueueWebhooks } from './sql-relayer-webhooks.js';
import { failureText, type TransferFailure } from './transfer-failure.js';

/** Projects one batch is shared between; beyond them the turn order reaches the rest. */
export const MAX_PROJECTS = 32;
/** Rows a claim may read per batch slot while skipping transfers the key cannot pay. */
const SCAN_PER_SLOT = 4;
/** Tokens a claim tries when the key can pay nothing of the first ones. */
const MAX_TOKENS = 4;

/** A project of the queue; keyless (tenancy off) transfers are the project null. */
type Project = string | null;

/** Where the turn order of projects stands: the project that led the last claim. */
export interface ClaimRotation {
  last?: Project;
}

interface QueuedRow {
  seq: number;
  id: string;
  to_address: string;
  amount: string;
  unfunded_at: number | null;
}

export async function claimBatch(
  store: StoreDatabase,
  rotation: ClaimRotation,
  lease: KeyLease,
  maxSize: number,
  now: number,
  options: ClaimOptions = {},
): Promise<Batch | undefined> {
  if (maxSize <= 0) return undefined;
  // Looked at first without the write lock: idle key workers ask often, and on SQLite every
  // write transaction holds up the intake's commits (another process) while it runs.
  if (!(await queueReady(store.db, maxSize, now, options.fillWaitMs ?? 0))) return undefined;
  const lock = store.dialect === 'postgres';
  return writeTransaction(store, async (db) => {
    if ((await fence(db, store, lease)) === undefined) return undefined;
    const order = await turnOrder(db, rotation.last);
    const tried = new Set<string>();
    const unfunded: string[] = [];
    let batch: Batch | undefined;
    for (const [at, lead] of order.entries()) {
      const token = await oldestToken(db, lead);
      if (token === undefined || tried.has(token)) continue;
      tried.add(token);
      const projects = [...order.slice(at), ...order.slice(0, at)];
      const rows = await fill(db, projects, token, maxSize, options.funds?.get(token), lock, unfunded);
      if (rows.length > 0) {
        rotation.last = lead;
        const transfers = rows.map((row) => ({ id: row.id, to: row.to_address, amount: BigInt(row.amount) }));
        batch = await insertBatch(db, lease.address, token, transfers, now);
        break;
      }
      if (tried.size >= MAX_TOKENS) break;
    }
    for (const ids of chunks(unfunded, IDS_PER_QUERY))
      await db
        .updateTable('relayer_transfers')
        .set({ unfunded_at: now })
        .where('id', 'in', ids)
        .where(IS_QUEUED)
        .where('unfunded_at', 'is', null)
        .execute();
    return batch;
  });
}

/**
 * The batch of `token`: the projects in turn, each its share of the slots left, oldest first;
 * rows the key cannot pay are skipped (those beyond all it holds noted in `unfunded`). Returned
 * in queue (seq) order.
 */
async function fill(
  db: Kysely<Database>,
  projects: readonly Project[],
  token: string,
  maxSize: number,
  funds: TokenFunds | undefined,
  lock: boolean,
  unfunded: string[],
): Promise<QueuedRow[]> {
  const picked: QueuedRow[] = [];
  const after = new Map<Project, number>();
  let spendable = funds?.spendable ?? 0n;
  let open = projects;
  let scanned = 0;
  while (picked.length < maxSize && open.length > 0 && scanned < SCAN_PER_SLOT * maxSize) {
    const share = Math.ceil((maxSize - picked.length) / open.length);
    const more: Project[] = [];
    for (const project of open) {
      const want = Math.min(share, maxSize - picked.length);
      if (want <= 0) break;
      const rows = await headRows(db, project, token, after.get(project), want, lock);
      scanned += rows.length;
      const last = rows.at(-1);
      if (last !== undefined) after.set(project, Number(last.seq));
      if (rows.length === want) more.push(project);
      for (const row of rows) {
        if (funds !== undefined) {
          const amount = BigInt(row.amount);
          if (amount > spendable) {
            if (amount > funds.total && row.unfunded_at === null) unfunded.push(row.id);
            continue;
          }
          spendable -= amount;
        }
        picked.push(row);
      }
    }
    open = more;
  }
  return picked.sort((a, b) => Number(a.seq) - Number(b.seq));
}

/** A project's oldest waiting transfers of `token` after `afterSeq`. */
function headRows(
  db: Kysely<Database>,
  project: Project,
  token: string,
  afterSeq: number | undefined,
  limit: number,
  lock: boolean,
): Promise<QueuedRow[]> {
  return db
    .selectFrom('relayer_transfers')
    .select(['seq', 'id', 'to_address', 'amount', 'unfunded_at'])
    .where(IS_QUEUED)
    .where('project_id', project === null ? 'is' : '=', project)
    .where('token', '=', token)
    .$if(afterSeq !== undefined, (query) => query.where('seq', '>', afterSeq!))
    .orderBy('seq')
    .limit(limit)
    .$if(lock, (query) => query.forUpdate().skipLocked())
    .execute();
}

async function oldestToken(db: Kysely<Database>, project: Project): Promise<string | undefined> {
  const row = await db
    .selectFrom('relayer_transfers')
    .select('token')
    .where(IS_QUEUED)
    .where('project_id', project === null ? 'is' : '=', project)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  return row?.token;
}

/**
 * The projects with waiting transfers (at most MAX_PROJECTS), starting after `last`: the
 * named ones in id order, the keyless queue (null) between the last id and the first.
 */
async function turnOrder(db: Kysely<Database>, last: Project | undefined): Promise<Project[]> {
  const keyless = await db
    .selectFrom('relayer_transfers')
    .select('seq')
    .where(IS_QUEUED)
    .where('project_id', 'is', null)
    .limit(1)
    .executeTakeFirst();
  const nulls: Project[] = keyless === undefined ? [] : [null];
  if (last === undefined) return [...nulls, ...(await projectsAfter(db, '', MAX_PROJECTS))];
  if (last === null) return [...(await projectsAfter(db, '', MAX_PROJECTS)), ...nulls];
  const later = await projectsAfter(db, last, MAX_PROJECTS);
  const earlier =
    later.length < MAX_PROJECTS
      ? (await projectsAfter(db, '', MAX_PROJECTS - later.length)).filter((project) => project <= last)
      : [];
  return [...later, ...nulls, ...earlier].slice(0, MAX_PROJECTS);
}

/**
 * Up to `limit` project ids with waiting transfers, in order, above `from` (project ids are
 * never empty, so '' lists from the first). One index seek per project (a loose index scan),
 * in one statement: the queue itself is never read.
 */
async function projectsAfter(db: Kysely<Database>, from: string, limit: number): Promise<string[]> {
  const next = (above: RawBuilder<unknown>) =>
    sql`(select project_id from relayer_transfers where ${IS_QUEUED} and project_id > ${above} order by project_id limit 1)`;
  const { rows } = await sql<{ project_id: string }>`
    with recursive active(project_id, n) as (
      select ${next(sql`${from}`)}, 1
      union all
      select ${next(sql.ref('active.project_id'))}, n + 1 from active
      where active.project_id is not null and n < ${limit}
    )
    select project_id from active where project_id is not null`.execute(db);
  return rows.map((row) => row.project_id);
}

/**
 * Whether a batch should be claimed now: something is queued, and either a full batch of the
 * oldest transfer's token is waiting or that transfer has waited `fillWaitMs`. Under load
 * batches fill at once; a trickle waits a little so it goes out in fewer transactions.
 */
async function queueReady(
  db: Kysely<Database>,
  maxSize: number,
  now: number,
  fillWaitMs: number,
): Promise<boolean> {
  const oldest = await db
    .selectFrom('relayer_transfers')
    .select(['token', 'created_at'])
    .where(IS_QUEUED)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  if (oldest === undefined) return false;
  if (fillWaitMs <= 0 || Number(oldest.created_at) <= now - fillWaitMs) return true;
  const queued = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('relayer_transfers')
        .select('seq')
        .where(IS_QUEUED)
        .where('token', '=', oldest.token)
        .limit(maxSize)
        .as('queued'),
    )
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirst();
  return Number(queued?.count ?? 0) >= maxSize;
}

/**
 * Fails the waiting transfers marked unfunded at or before `cutoff` (no key could pay them
 * since) with ERR_RELAYER_INSUFFICIENT_FUNDS, and queues their webhooks. Looked for first
 * without the write lock; the update checks again, so a transfer a key claimed meanwhile is
 * left alone.
 */
export async function failUnfunded(
  store: StoreDatabase,
  options: BatchWriteOptions,
  cutoff: number,
  now: number,
  failure: TransferFailure,
): Promise<SettledTransfers> {
  const due = await store.db
    .selectFrom('relayer_transfers')
    .select('id')
    .where('unfunded_at', '<=', cutoff)
    .where(IS_QUEUED)
    .limit(IDS_PER_QUERY)
    .execute();
  if (due.length === 0) return { confirmed: [], failed: [], split: [] };
  const rows = await writeTransaction(store, async (db) => {
    const failed = await db
      .updateTable('relayer_transfers')
      .set({
        state: 'failed',
        error: failureText(failure),
        error_code: failure.code,
        unfunded_at: null,
        updated_at: now,
      })
      .where(
        'id',
        'in',
        due.map((row) => row.id),
      )
      .where(IS_QUEUED)
      .where('unfunded_at', '<=', cutoff)
      .returningAll()
      .execute();
    failed.sort((a, b) => Number(a.seq) - Number(b.seq));
    if (options.webhooks && failed.length > 0) await enqueueWebhooks(db, failed, now);
    return failed;
  });
  return { confirmed: [], failed: rows.map(settledEntry), split: [] };
}
