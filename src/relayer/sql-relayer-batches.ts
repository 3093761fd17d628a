/**
 * Batches in SQL: making one (the claim itself is in sql-relayer-claim.ts), and the changes
 * made to a batch not yet signed (fail, bisect, release). A batch and its transfers always
 * change state in the same transaction.
 */
import type { Kysely, Selectable } from 'kysely';
import type { StoreDatabase } from '../store/store-database.js';
import type { Database, RelayerBatchesTable, RelayerTransfersTable } from '../store/tables.js';
import { writeTransaction } from '../tenancy/sql-write-transaction.js';
import type { Batch, BatchTransfer, KeyLease } from './model.js';
import type { SettledTransfers } from './relayer-store.js';
import { holdsLease } from './sql-relayer-keys.js';
import {
  batchContents,
  batchFromRow,
  batchTransfers,
  chunks,
  fence,
  IDS_PER_QUERY,
  relayerId,
} from './sql-relayer-rows.js';
import { enqueueWebhooks } from './sql-relayer-webhooks.js';
import { failureText, type TransferFailure } from './transfer-failure.js';

export interface BatchWriteOptions {
  readonly webhooks: boolean;
}

/** A new `batched` batch of these transfers (which must be locked or ours already). */
export async function insertBatch(
  db: Kysely<Database>,
  keyAddress: string,
  token: string,
  transfers: readonly BatchTransfer[],
  now: number,
): Promise<Batch> {
  const row = {
    id: relayerId('bt'),
    key_address: keyAddress,
    token,
    state: 'batched',
    size: transfers.length,
    tx_hash: null,
    created_at: now,
    updated_at: now,
  };
  await db.insertInto('relayer_batches').values(row).execute();
  for (const ids of chunks(
    transfers.map((transfer) => transfer.id),
    IDS_PER_QUERY,
  ))
    await db
      .updateTable('relayer_transfers')
      .set({ state: 'batched', batch_id: row.id, tx_hash: null, unfunded_at: null, updated_at: now })
      .where('id', 'in', ids)
      .execute();
  return batchFromRow(row, transfers);
}

export async function unsignedBatches(store: StoreDatabase, lease: KeyLease): Promise<Batch[]> {
  if (!(await holdsLease(store, lease))) return [];
  const rows = await store.db
    .selectFrom('relayer_batches')
    .selectAll()
    .where('key_address', '=', lease.address)
    .where('state', '=', 'batched')
    .execute();
  const { transfers, firstSeq } = await batchContents(
    store.db,
    rows.map((row) => row.id),
  );
  const order = (id: string) => firstSeq.get(id) ?? Number.MAX_SAFE_INTEGER;
  rows.sort((a, b) => order(a.id) - order(b.id));
  return rows.map((row) => batchFromRow(row, transfers.get(row.id) ?? []));
}

/** An unsigned (`batched`) batch of the lease's key, inside a fenced transaction. */
async function unsignedBatch(
  db: Kysely<Database>,
  lease: KeyLease,
  batchId: string,
): Promise<Selectable<RelayerBatchesTable> | undefined> {
  return db
    .selectFrom('relayer_batches')
    .selectAll()
    .where('id', '=', batchId)
    .where('key_address', '=', lease.address)
    .where('state', '=', 'batched')
    .executeTakeFirst();
}

export async function failBatch(
  store: StoreDatabase,
  options: BatchWriteOptions,
  lease: KeyLease,
  batchId: string,
  failure: TransferFailure,
  now: number,
): Promise<SettledTransfers | undefined> {
  return writeTransaction(store, async (db) => {
    if ((await fence(db, store, lease)) === undefined) return undefined;
    if ((await unsignedBatch(db, lease, batchId)) === undefined) return undefined;
    await setBatchState(db, batchId, 'failed', now);
    const failed = await finishTransfers(db, options, batchId, { state: 'failed', failure }, now);
    return { confirmed: [], failed: failed.map(settledEntry), split: [] };
  });
}

export async function splitBatch(
  store: StoreDatabase,
  lease: KeyLease,
  batchId: string,
  now: number,
): Promise<Batch[] | undefined> {
  return writeTransaction(store, async (db) => {
    if ((await fence(db, store, lease)) === undefined) return undefined;
    const batch = await unsignedBatch(db, lease, batchId);
    if (batch === undefined) return undefined;
    return bisect(db, batch, now);
  });
}

export async function releaseBatch(
  store: StoreDatabase,
  lease: KeyLease,
  batchId: string,
  now: number,
): Promise<boolean> {
  return writeTransaction(store, async (db) => {
    if ((await fence(db, store, lease)) === undefined) return false;
    if ((await unsignedBatch(db, lease, batchId)) === undefined) return false;
    await setBatchState(db, batchId, 'failed', now);
    await returnTransfers(db, batchId, now);
    return true;
  });
}

/**
 * Replaces a batch by two halves (FIFO order kept), both `batched` for the same key; the old
 * batch is `failed`. A batch of one cannot be split: undefined.
 */
export async function bisect(
  db: Kysely<Database>,
  batch: Selectable<RelayerBatchesTable>,
  now: number,
): Promise<Batch[] | undefined> {
  const transfers = (await batchTransfers(db, [batch.id])).get(batch.id) ?? [];
  if (transfers.length < 2) return undefined;
  await setBatchState(db, batch.id, 'failed', now);
  const half = Math.ceil(transfers.length / 2);
  return [
    await insertBatch(db, batch.key_address, batch.token, transfers.slice(0, half), now),
    await insertBatch(db, batch.key_address, batch.token, transfers.slice(half), now),
  ];
}

export async function setBatchState(db: Kysely<Database>, batchId: string, state: string, now: number) {
  await db.updateTable('relayer_batches').set({ state, updated_at: now }).where('id', '=', batchId).execute();
}

/** A batch's transfers back to the queue, to be claimed again (FIFO position kept). */
export async function returnTransfers(db: Kysely<Database>, batchId: string, now: number) {
  await db
    .updateTable('relayer_transfers')
    .set({ state: 'accepted', batch_id: null, tx_hash: null, updated_at: now })
    .where('batch_id', '=', batchId)
    .where('state', 'in', ['batched', 'signed', 'submitted'])
    .execute();
}

/** Makes a batch's open transfers terminal and queues their webhooks (when on). */
export async function finishTransfers(
  db: Kysely<Database>,
  options: BatchWriteOptions,
  batchId: string,
  patch: {
    state: 'confirmed' | 'failed';
    failure?: TransferFailure;
    txHash?: string;
    blockNumber?: number;
  },
  now: number,
): Promise<Selectable<RelayerTransfersTable>[]> {
  const rows = await db
    .updateTable('relayer_transfers')
    .set({
      state: patch.state,
      error: patch.failure === undefined ? null : failureText(patch.failure),
      error_code: patch.failure?.code ?? null,
      ...(patch.txHash !== undefined ? { tx_hash: patch.txHash } : {}),
      block_number: patch.blockNumber ?? null,
      updated_at: now,
    })
    .where('batch_id', '=', batchId)
    .where('state', 'in', ['batched', 'signed', 'submitted'])
    .returningAll()
    .execute();
  rows.sort((a, b) => Number(a.seq) - Number(b.seq));
  if (options.webhooks && rows.length > 0) await enqueueWebhooks(db, rows, now);
  return rows;
}

export function settledEntry(row: Selectable<RelayerTransfersTable>) {
  return { id: row.id, createdAt: Number(row.created_at) };
}
