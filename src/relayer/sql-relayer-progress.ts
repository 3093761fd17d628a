/**
 * A transfer's progress after it is batched lives on its batch row (migration 0008): the row of
 * a transfer says `batched` until the batch settles, and the batch says whether it is signed or
 * submitted and under which hash. Every PostgreSQL update of a transfer row writes a new row
 * version and an entry in each of its indexes; this saves two of the four per transfer.
 * Readers of transfer rows pass them through `withBatchProgress`.
 */
import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import type { Database, RelayerTransfersTable } from '../store/tables.js';
import type { TransferState } from './model.js';
import { chunks, IDS_PER_QUERY } from './sql-relayer-rows.js';

type TransferRow = Selectable<RelayerTransfersTable>;

/** The states a batch row carries for transfers whose own row still says `batched`. */
export const BATCH_PROGRESS_STATES = ['batched', 'signed', 'submitted'] as const;

/** The rows as the API shows them: a `batched` row takes its batch's state, hash and time. */
export async function withBatchProgress(db: Kysely<Database>, rows: TransferRow[]): Promise<TransferRow[]> {
  const batchIds = new Set<string>();
  for (const row of rows) if (row.state === 'batched' && row.batch_id !== null) batchIds.add(row.batch_id);
  if (batchIds.size === 0) return rows;
  const batches = new Map<string, { state: string; tx_hash: string | null; updated_at: number }>();
  for (const ids of chunks([...batchIds], IDS_PER_QUERY)) {
    const found = await db
      .selectFrom('relayer_batches')
      .select(['id', 'state', 'tx_hash', 'updated_at'])
      .where('id', 'in', ids)
      .execute();
    for (const batch of found) batches.set(batch.id, batch);
  }
  return rows.map((row) => {
    const batch = row.batch_id === null ? undefined : batches.get(row.batch_id);
    if (row.state !== 'batched' || batch === undefined || batch.state === 'batched') return row;
    // Settled batches finish their transfers in the same transaction: only signed or
    // submitted batches can still hold `batched` transfers.
    return {
      ...row,
      state: batch.state,
      tx_hash: batch.tx_hash,
      updated_at: Math.max(Number(row.updated_at), Number(batch.updated_at)),
    };
  });
}

/** Filters by the state the API shows: batched, signed and submitted are read on the batch. */
export function whereShownState<O>(
  select: SelectQueryBuilder<Database, 'relayer_transfers', O>,
  state: TransferState,
): SelectQueryBuilder<Database, 'relayer_transfers', O> {
  if (!(BATCH_PROGRESS_STATES as readonly string[]).includes(state)) return select.where('state', '=', state);
  return select
    .where('state', '=', 'batched')
    .where('batch_id', 'in', (eb) =>
      eb.selectFrom('relayer_batches').select('id').where('state', '=', state),
    );
}
