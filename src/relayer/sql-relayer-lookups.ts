/**
 * Reads for finding a transfer by what its sender knows (the dashboard's transfer search): the
 * transfers stored under an idempotency key, and the batch and signed transactions behind a
 * transfer, for its state timeline. Both are indexed seeks; nothing here writes.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/tables.js';
import type { AttemptKind, AttemptState, BatchState, TransferRecord } from './model.js';
import { withBatchProgress } from './sql-relayer-progress.js';
import { attemptFromRow, chunks, IDS_PER_QUERY, transferFromRow } from './sql-relayer-rows.js';

/** A signed transaction of a batch, without its raw bytes. */
export interface AttemptSummary {
  readonly hash: string;
  readonly nonce: number;
  readonly kind: AttemptKind;
  readonly state: AttemptState;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly createdAt: number;
  readonly submittedAt: number | null;
}

/** A batch and every transaction signed for it, oldest first. */
export interface BatchTrail {
  readonly id: string;
  readonly keyAddress: string;
  readonly state: BatchState;
  readonly size: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly attempts: readonly AttemptSummary[];
}

/**
 * The transfers stored under `idempotencyKey` by any of `projectIds` (null = keyless), oldest
 * request first, in request order; at most `limit`. Keys are unique per project, so this is one
 * seek of the (scope, idempotency_key) index per project named.
 */
export async function findByIdempotencyKey(
  db: Kysely<Database>,
  idempotencyKey: string,
  projectIds: readonly (string | null)[],
  limit: number,
): Promise<TransferRecord[]> {
  const requestIds: string[] = [];
  const scopes = [...new Set(projectIds.map((id) => id ?? ''))];
  for (const chunk of chunks(scopes, IDS_PER_QUERY)) {
    const rows = await db
      .selectFrom('relayer_requests')
      .select(['id', 'created_at'])
      .where('scope', 'in', chunk)
      .where('idempotency_key', '=', idempotencyKey)
      .execute();
    for (const row of rows) requestIds.push(row.id);
  }
  if (requestIds.length === 0 || limit <= 0) return [];
  const rows = await db
    .selectFrom('relayer_transfers')
    .selectAll()
    .where('request_id', 'in', requestIds.slice(0, IDS_PER_QUERY))
    .orderBy('seq')
    .limit(limit)
    .execute();
  return (await withBatchProgress(db, rows)).map(transferFromRow);
}

/** The batch `batchId` with its transactions (by the batch index), or undefined. */
export async function getBatchTrail(db: Kysely<Database>, batchId: string): Promise<BatchTrail | undefined> {
  const batch = await db
    .selectFrom('relayer_batches')
    .selectAll()
    .where('id', '=', batchId)
    .executeTakeFirst();
  if (batch === undefined) return undefined;
  const rows = await db
    .selectFrom('relayer_attempts')
    .selectAll()
    .where('batch_id', '=', batchId)
    .orderBy('created_at')
    .execute();
  return {
    id: batch.id,
    keyAddress: batch.key_address,
    state: batch.state as BatchState,
    size: Number(batch.size),
    createdAt: Number(batch.created_at),
    updatedAt: Number(batch.updated_at),
    attempts: rows.map((row) => {
      const { id: _id, raw: _raw, batchId: _batch, keyAddress: _key, ...summary } = attemptFromRow(row);
      return summary;
    }),
  };
}
