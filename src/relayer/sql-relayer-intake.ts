/**
 * Intake in SQL: many requests in one transaction (multi-row inserts sized to the parameter
 * limits), idempotency by a unique (scope, key) index with ON CONFLICT DO NOTHING, and the
 * read side of the API (one transfer, one request's or transaction's transfers, pages, counts).
 */
import type { Insertable, Kysely } from 'kysely';
import type { StoreDatabase } from '../store/store-database.js';
import type { Database, RelayerTransfersTable } from '../store/tables.js';
import { IS_OPEN } from '../store/transfer-predicates.js';
import { writeTransaction } from '../tenancy/sql-write-transaction.js';
import type { AcceptRequest, AcceptResult, TransferQuery, TransferRecord, TransferState } from './model.js';
import { whereShownState, withBatchProgress } from './sql-relayer-progress.js';
import { chunks, IDS_PER_QUERY, relayerId, rowsPerStatement, transferFromRow } from './sql-relayer-rows.js';

const REQUEST_COLUMNS = 7;
const TRANSFER_COLUMNS = 11;

/** Keyless (dev) requests share the '' scope; project ids are never empty. */
function scopeOf(projectId: string | null): string {
  return projectId ?? '';
}

function scopedKey(scope: string, key: string): string {
  return `${scope}\u0000${key}`;
}

interface Stored {
  readonly requestId: string;
  readonly hash: string;
  readonly ids: readonly string[];
}

export async function acceptMany(
  store: StoreDatabase,
  requests: readonly AcceptRequest[],
  now: number,
): Promise<AcceptResult[]> {
  if (requests.length === 0) return [];
  // The first request of each key in this call is the one that may be stored.
  const firsts = new Map<string, { request: AcceptRequest; id: string; ids: string[] }>();
  for (const request of requests) {
    const key = scopedKey(scopeOf(request.projectId), request.idempotencyKey);
    if (!firsts.has(key))
      firsts.set(key, { request, id: relayerId('rq'), ids: request.transfers.map(() => relayerId('tr')) });
  }
  // In key order, so two concurrent calls with overlapping keys wait on each other's unique
  // index entries in the same order instead of deadlocking (PostgreSQL).
  const candidates = [...firsts.values()];
  const lockOrder = [...firsts.keys()].sort().map((key) => firsts.get(key)!);

  return writeTransaction(store, async (db) => {
    const inserted = new Set<string>();
    for (const chunk of chunks(lockOrder, rowsPerStatement(REQUEST_COLUMNS))) {
      const rows = await db
        .insertInto('relayer_requests')
        .values(
          chunk.map(({ request, id }) => ({
            id,
            project_id: request.projectId,
            scope: scopeOf(request.projectId),
            idempotency_key: request.idempotencyKey,
            request_hash: request.requestHash,
            transfer_count: request.transfers.length,
            created_at: now,
          })),
        )
        .onConflict((conflict) => conflict.columns(['scope', 'idempotency_key']).doNothing())
        .returning('id')
        .execute();
      for (const row of rows) inserted.add(row.id);
    }

    const stored = new Map<string, Stored>();
    const transferRows: Insertable<RelayerTransfersTable>[] = [];
    for (const { request, id, ids } of candidates) {
      if (!inserted.has(id)) continue;
      stored.set(scopedKey(scopeOf(request.projectId), request.idempotencyKey), {
        requestId: id,
        hash: request.requestHash,
        ids,
      });
      request.transfers.forEach((transfer, position) => {
        transferRows.push({
          id: ids[position]!,
          request_id: id,
          position,
          project_id: request.projectId,
          token: transfer.token,
          to_address: transfer.to,
          amount: transfer.amount.toString(),
          memo: transfer.memo ?? null,
          state: 'accepted',
          created_at: now,
          updated_at: now,
        });
      });
    }
    const existing = candidates.filter(({ id }) => !inserted.has(id)).map(({ request }) => request);
    for (const [key, found] of await findStored(db, existing)) stored.set(key, found);

    for (const chunk of chunks(transferRows, rowsPerStatement(TRANSFER_COLUMNS)))
      await db.insertInto('relayer_transfers').values(chunk).execute();

    const created = new Set(inserted);
    return requests.map((request): AcceptResult => {
      const found = stored.get(scopedKey(scopeOf(request.projectId), request.idempotencyKey));
      // A stored row vanished between the insert and the read: only a delete could do that.
      if (found === undefined) throw new Error(`request ${request.idempotencyKey} neither stored nor found`);
      if (found.hash !== request.requestHash) return { kind: 'conflict' };
      if (created.delete(found.requestId))
        return { kind: 'created', requestId: found.requestId, ids: found.ids };
      return { kind: 'replay', requestId: found.requestId, ids: found.ids };
    });
  });
}

/** Requests stored before this call (the insert skipped them), with their transfer ids. */
async function findStored(db: Kysely<Database>, requests: readonly AcceptRequest[]) {
  const found = new Map<string, Stored>();
  for (const chunk of chunks(requests, IDS_PER_QUERY)) {
    const rows = await db
      .selectFrom('relayer_requests')
      .select(['id', 'scope', 'idempotency_key', 'request_hash'])
      .where('idempotency_key', 'in', [...new Set(chunk.map((request) => request.idempotencyKey))])
      .where('scope', 'in', [...new Set(chunk.map((request) => scopeOf(request.projectId)))])
      .execute();
    const wanted = new Set(chunk.map((r) => scopedKey(scopeOf(r.projectId), r.idempotencyKey)));
    const requestIds = new Map<string, string[]>();
    for (const row of rows) {
      const key = scopedKey(row.scope, row.idempotency_key);
      // The two `in` lists also match pairs nobody asked for.
      if (!wanted.has(key)) continue;
      const ids: string[] = [];
      requestIds.set(row.id, ids);
      found.set(key, { requestId: row.id, hash: row.request_hash, ids });
    }
    for (const ids of chunks([...requestIds.keys()], IDS_PER_QUERY)) {
      const transfers = await db
        .selectFrom('relayer_transfers')
        .select(['id', 'request_id'])
        .where('request_id', 'in', ids)
        .orderBy('request_id')
        .orderBy('position')
        .execute();
      for (const transfer of transfers) requestIds.get(transfer.request_id)?.push(transfer.id);
    }
  }
  return found;
}

export async function getTransfer(db: Kysely<Database>, id: string): Promise<TransferRecord | undefined> {
  const row = await db.selectFrom('relayer_transfers').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) return undefined;
  const [shown] = await withBatchProgress(db, [row]);
  return transferFromRow(shown!);
}

export async function getRequestTransfers(
  db: Kysely<Database>,
  requestId: string,
): Promise<TransferRecord[]> {
  const rows = await db
    .selectFrom('relayer_transfers')
    .selectAll()
    .where('request_id', '=', requestId)
    .orderBy('position')
    .execute();
  return (await withBatchProgress(db, rows)).map(transferFromRow);
}

export async function getTransfers(db: Kysely<Database>, ids: readonly string[]): Promise<TransferRecord[]> {
  const records: TransferRecord[] = [];
  for (const chunk of chunks(ids, IDS_PER_QUERY)) {
    const rows = await db.selectFrom('relayer_transfers').selectAll().where('id', 'in', chunk).execute();
    for (const row of await withBatchProgress(db, rows)) records.push(transferFromRow(row));
  }
  return records;
}

/** Two indexed reads (attempt by its unique hash, transfers by batch) rather than a join. */
export async function getTransactionTransfers(
  db: Kysely<Database>,
  txHash: string,
): Promise<TransferRecord[]> {
  const attempt = await db
    .selectFrom('relayer_attempts')
    .select('batch_id')
    .where('hash', '=', txHash)
    .executeTakeFirst();
  const batchId = attempt?.batch_id;
  if (batchId === undefined || batchId === null) return [];
  const rows = await db
    .selectFrom('relayer_transfers')
    .selectAll()
    .where('batch_id', '=', batchId)
    .orderBy('seq')
    .execute();
  return (await withBatchProgress(db, rows)).map(transferFromRow);
}

/** Newest first. `projectId: null` lists keyless transfers; absent lists every project. */
export async function listTransfers(db: Kysely<Database>, query: TransferQuery): Promise<TransferRecord[]> {
  const { projectId, state, before } = query;
  if (query.limit <= 0) return [];
  let select = db.selectFrom('relayer_transfers').selectAll();
  if (projectId !== undefined)
    select =
      projectId === null
        ? select.where('project_id', 'is', null)
        : select.where('project_id', '=', projectId);
  if (state !== undefined) select = whereShownState(select, state);
  if (before !== undefined) {
    const cursor = await db
      .selectFrom('relayer_transfers')
      .select('seq')
      .where('id', '=', before)
      .executeTakeFirst();
    if (cursor === undefined) return [];
    select = select.where('seq', '<', cursor.seq);
  }
  const rows = await select.orderBy('seq', 'desc').limit(query.limit).execute();
  return (await withBatchProgress(db, rows)).map(transferFromRow);
}

export async function countOpen(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('relayer_transfers')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where(IS_OPEN)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

export async function countByState(
  db: Kysely<Database>,
  openOnly: boolean,
): Promise<Record<TransferState, number>> {
  const counts: Record<TransferState, number> = {
    accepted: 0,
    batched: 0,
    signed: 0,
    submitted: 0,
    confirmed: 0,
    failed: 0,
  };
  const rows = await db
    .selectFrom('relayer_transfers')
    .select((eb) => ['state', eb.fn.countAll<number>().as('count')])
    .$if(openOnly, (query) => query.where(IS_OPEN))
    .groupBy('state')
    .execute();
  for (const row of rows) if (row.state in counts) counts[row.state as TransferState] = Number(row.count);
  // `batched` rows are split by their batch's state: a join over the open batches only.
  counts.batched = 0;
  const progress = await db
    .selectFrom('relayer_transfers')
    .innerJoin('relayer_batches', 'relayer_batches.id', 'relayer_transfers.batch_id')
    .select((eb) => ['relayer_batches.state', eb.fn.countAll<number>().as('count')])
    .where('relayer_transfers.state', '=', 'batched')
    .groupBy('relayer_batches.state')
    .execute();
  for (const row of progress)
    if (row.state in counts) counts[row.state as TransferState] += Number(row.count);
  return counts;
}
