/**
 * Row ↔ model mapping for the SQL relayer store, its ids, and the small helpers every part of
 * it shares: chunking for parameter limits and the fencing check that opens each keyed write.
 */
import type { Kysely, Selectable } from 'kysely';
import type { StoreDatabase } from '../store/store-database.js';
import type {
  Database,
  RelayerAttemptsTable,
  RelayerBatchesTable,
  RelayerKeysTable,
  RelayerTransfersTable,
} from '../store/tables.js';
import { BASE62_DIGITS, randomBase62 } from '../tenancy/ids.js';
import type {
  Attempt,
  AttemptKind,
  AttemptState,
  Batch,
  BatchState,
  BatchTransfer,
  KeyLease,
  TransferRecord,
  TransferState,
} from './model.js';
import type { TransferFailureCode } from './transfer-failure.js';

export type RelayerIdKind = 'tr' | 'rq' | 'bt' | 'at' | 'wh';

/** Base62 digits of the creation time, enough for milliseconds until the year 2081. */
const TIME_DIGITS = 7;
const RANDOM_DIGITS = 13;

/**
 * `tr_…`, `rq_…`: 20 base62 characters, made without asking the database: the creation time in
 * milliseconds (7 digits; [0-9A-Za-z] sorts in ASCII order, so ids sort by time), then 13 random
 * ones (77 bits). Time first puts each commit's new keys at the right edge of the id indexes:
 * fully random ids landed on a random leaf page per row and index, and on SQLite every dirty
 * page is written to the WAL at commit (see docs/benchmarks.md "Relayer").
 */
export function relayerId(kind: RelayerIdKind, now = Date.now()): string {
  return `${kind}_${timeDigits(now)}${randomBase62(RANDOM_DIGITS)}`;
}

function timeDigits(ms: number): string {
  let text = '';
  for (let rest = Math.floor(ms), i = 0; i < TIME_DIGITS; i++, rest = Math.floor(rest / 62))
    text = BASE62_DIGITS[rest % 62] + text;
  return text;
}

/**
 * Parameters per statement. SQLite allows 32,766 bound variables, PostgreSQL 65,535; a budget
 * below both keeps one chunking rule for the two dialects.
 */
const PARAMETER_BUDGET = 30_000;

/** Rows of `columns` parameters each that fit in one statement. */
export function rowsPerStatement(columns: number): number {
  return Math.floor(PARAMETER_BUDGET / columns);
}

/** Ids per `in (…)` list. */
export const IDS_PER_QUERY = 1_000;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}

export const OPEN_ATTEMPT_STATES: readonly AttemptState[] = ['signed', 'submitted'];

export function transferFromRow(row: Selectable<RelayerTransfersTable>): TransferRecord {
  return {
    id: row.id,
    requestId: row.request_id,
    projectId: row.project_id,
    token: row.token,
    to: row.to_address,
    amount: BigInt(row.amount),
    memo: row.memo,
    state: row.state as TransferState,
    error: row.error,
    errorCode: (row.error_code ?? null) as TransferFailureCode | null,
    batchId: row.batch_id,
    txHash: row.tx_hash,
    blockNumber: row.block_number === null ? null : Number(row.block_number),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function batchFromRow(
  row: Selectable<RelayerBatchesTable>,
  transfers: readonly BatchTransfer[],
): Batch {
  return {
    id: row.id,
    keyAddress: row.key_address,
    token: row.token,
    state: row.state as BatchState,
    transfers,
    createdAt: Number(row.created_at),
  };
}

export function attemptFromRow(row: Selectable<RelayerAttemptsTable>): Attempt {
  return {
    id: row.id,
    keyAddress: row.key_address,
    nonce: Number(row.nonce),
    kind: row.kind as AttemptKind,
    batchId: row.batch_id,
    raw: row.raw,
    hash: row.hash,
    maxFeePerGas: BigInt(row.max_fee),
    maxPriorityFeePerGas: BigInt(row.max_priority_fee),
    state: row.state as AttemptState,
    createdAt: Number(row.created_at),
    submittedAt: row.submitted_at === null ? null : Number(row.submitted_at),
  };
}

export function leaseFromRow(row: Selectable<RelayerKeysTable>): KeyLease {
  return {
    address: row.address,
    fencingToken: Number(row.fencing_token),
    owner: row.owner ?? '',
    expiresAt: Number(row.lease_expires_at),
    nextNonce: row.next_nonce === null ? null : Number(row.next_nonce),
  };
}

/**
 * The first statement of every write made under a lease: the key row as it is now, or
 * undefined when the lease was lost (another owner, a newer fencing token). On PostgreSQL it
 * locks the key row, so writes for one key (and the nonce they hand out) run one at a time
 * even from two processes that both believe they hold it; on SQLite BEGIN IMMEDIATE already
 * serializes every writer.
 */
export async function fence(
  db: Kysely<Database>,
  store: StoreDatabase,
  lease: KeyLease,
): Promise<Selectable<RelayerKeysTable> | undefined> {
  return db
    .selectFrom('relayer_keys')
    .selectAll()
    .where('address', '=', lease.address)
    .where('owner', '=', lease.owner)
    .where('fencing_token', '=', lease.fencingToken)
    .$if(store.dialect === 'postgres', (query) => query.forUpdate())
    .executeTakeFirst();
}

/** The transfers of batches, in claim (FIFO) order, grouped by batch id. */
export async function batchTransfers(
  db: Kysely<Database>,
  batchIds: readonly string[],
): Promise<Map<string, BatchTransfer[]>> {
  return (await batchContents(db, batchIds)).transfers;
}

/** Also each batch's first `seq`: batches made together (a bisection) sort by it, FIFO. */
export async function batchContents(db: Kysely<Database>, batchIds: readonly string[]) {
  const transfers = new Map<string, BatchTransfer[]>();
  const firstSeq = new Map<string, number>();
  for (const ids of chunks(batchIds, IDS_PER_QUERY)) {
    const rows = await db
      .selectFrom('relayer_transfers')
      .select(['seq', 'id', 'batch_id', 'to_address', 'amount'])
      .where('batch_id', 'in', ids)
      .orderBy('seq')
      .execute();
    for (const row of rows) {
      const batchId = row.batch_id!;
      let list = transfers.get(batchId);
      if (list === undefined) {
        list = [];
        transfers.set(batchId, list);
        firstSeq.set(batchId, Number(row.seq));
      }
      list.push({ id: row.id, to: row.to_address, amount: BigInt(row.amount) });
    }
  }
  return { transfers, firstSeq };
}
