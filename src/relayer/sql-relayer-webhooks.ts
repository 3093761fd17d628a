/**
 * The webhook outbox in SQL. A terminal transfer's delivery row is written in the transaction
 * that made it terminal, so no outcome is ever missed or announced before it is stored.
 * Claiming pushes `next_at` forward instead of holding a lock, so a sender that dies mid-send
 * only delays the delivery by the claim time.
 */
import type { Kysely, Selectable } from 'kysely';
import type { StoreDatabase } from '../store/store-database.js';
import type { Database, RelayerTransfersTable } from '../store/tables.js';
import { writeTransaction } from '../tenancy/sql-write-transaction.js';
import type { WebhookDelivery } from './model.js';
import { chunks, IDS_PER_QUERY, relayerId, rowsPerStatement } from './sql-relayer-rows.js';

const WEBHOOK_COLUMNS = 7;

/** The body sent for a terminal transfer; amounts as decimal strings (JSON has no bigint). */
export function webhookPayload(row: Selectable<RelayerTransfersTable>): string {
  return JSON.stringify({
    id: row.id,
    requestId: row.request_id,
    state: row.state,
    token: row.token,
    to: row.to_address,
    amount: row.amount,
    txHash: row.tx_hash,
    blockNumber: row.block_number === null ? null : Number(row.block_number),
    error: row.error,
    errorCode: row.error_code ?? null,
    updatedAt: Number(row.updated_at),
  });
}

/** Queues one delivery per transfer, inside the caller's transaction. */
export async function enqueueWebhooks(
  db: Kysely<Database>,
  transfers: readonly Selectable<RelayerTransfersTable>[],
  now: number,
): Promise<void> {
  const rows = transfers.map((row) => ({
    id: relayerId('wh'),
    transfer_id: row.id,
    payload: webhookPayload(row),
    attempts: 0,
    next_at: now,
    state: 'pending',
    delivered_at: null,
  }));
  for (const chunk of chunks(rows, rowsPerStatement(WEBHOOK_COLUMNS)))
    await db.insertInto('relayer_webhooks').values(chunk).execute();
}

export async function claimWebhooks(
  store: StoreDatabase,
  now: number,
  limit: number,
  claimMs: number,
): Promise<WebhookDelivery[]> {
  if (limit <= 0) return [];
  const claimedUntil = now + claimMs;
  return writeTransaction(store, async (db) => {
    const due = await db
      .selectFrom('relayer_webhooks')
      .select(['id', 'transfer_id', 'payload', 'attempts'])
      .where('state', '=', 'pending')
      .where('next_at', '<=', now)
      .orderBy('next_at')
      .limit(limit)
      .$if(store.dialect === 'postgres', (query) => query.forUpdate().skipLocked())
      .execute();
    for (const ids of chunks(
      due.map((row) => row.id),
      IDS_PER_QUERY,
    ))
      await db
        .updateTable('relayer_webhooks')
        .set({ next_at: claimedUntil })
        .where('id', 'in', ids)
        .execute();
    return due.map((row) => ({
      id: row.id,
      transferId: row.transfer_id,
      payload: row.payload,
      attempts: Number(row.attempts),
      nextAt: claimedUntil,
    }));
  });
}

export async function webhookDelivered(store: StoreDatabase, id: string, now: number): Promise<void> {
  await store.db
    .updateTable('relayer_webhooks')
    .set((eb) => ({ state: 'delivered', delivered_at: now, attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .execute();
}

export async function webhookFailed(
  store: StoreDatabase,
  id: string,
  nextAt: number,
  abandon: boolean,
): Promise<void> {
  await store.db
    .updateTable('relayer_webhooks')
    .set((eb) => ({
      state: abandon ? 'abandoned' : 'pending',
      next_at: nextAt,
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .execute();
}
