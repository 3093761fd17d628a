/**
 * Attempts in SQL: a signed transaction is stored in the same transaction that hands out its
 * nonce and moves its batch to `signed`, so no nonce is used twice and nothing is broadcast
 * unrecorded. Settling and dropping move the attempt, its siblings at the nonce, the batch and
 * its transfers together.
 */
import type { Kysely, Selectable } from 'kysely';
import type { StoreDatabase } from '../store/store-database.js';
import type { Database, RelayerAttemptsTable } from '../store/tables.js';
import { writeTransaction } from '../tenancy/sql-write-transaction.js';
import type { Attempt, AttemptOutcome, KeyLease, NewAttempt } from './model.js';
import type { SettledTransfers } from './relayer-store.js';
import {
  type BatchWriteOptions,
  bisect,
  finishTransfers,
  returnTransfers,
  setBatchState,
  settledEntry,
} from './sql-relayer-batches.js';
import { holdsLease } from './sql-relayer-keys.js';
import { attemptFromRow, fence, OPEN_ATTEMPT_STATES, relayerId } from './sql-relayer-rows.js';
import type { TransferFailure } from './transfer-failure.js';

const OPEN = [...OPEN_ATTEMPT_STATES];
const SIGNED_OR_SUBMITTED = ['signed', 'submitted'];

function attemptRow(attempt: NewAttempt, now: number): Selectable<RelayerAttemptsTable> {
  return {
    id: relayerId('at'),
    key_address: attempt.keyAddress,
    nonce: attempt.nonce,
    kind: attempt.kind,
    batch_id: attempt.batchId,
    raw: attempt.raw,
    hash: attempt.hash,
    max_fee: attempt.maxFeePerGas.toString(),
    max_priority_fee: attempt.maxPriorityFeePerGas.toString(),
    state: 'signed',
    created_at: now,
    submitted_at: null,
  };
}

export async function recordAttempt(
  store: StoreDatabase,
  lease: KeyLease,
  attempt: NewAttempt,
  now: number,
): Promise<Attempt | undefined> {
  if (attempt.keyAddress !== lease.address) return undefined;
  if ((attempt.kind === 'batch') !== (attempt.batchId !== null)) return undefined;
  return writeTransaction(store, async (db) => {
    const key = await fence(db, store, lease);
    if (key?.next_nonce == null || Number(key.next_nonce) !== attempt.nonce) return undefined;
    if (attempt.batchId !== null) {
      const batch = await db
        .selectFrom('relayer_batches')
        .select('id')
        .where('id', '=', attempt.batchId)
        .where('key_address', '=', lease.address)
        .where('state', '=', 'batched')
        .executeTakeFirst();
      if (batch === undefined) return undefined;
    }
    const row = attemptRow(attempt, now);
    await db.insertInto('relayer_attempts').values(row).execute();
    await db
      .updateTable('relayer_keys')
      .set({ next_nonce: attempt.nonce + 1 })
      .where('address', '=', lease.address)
      .execute();
    // The transfers stay `batched` on their rows; the batch row carries signed and the hash.
    if (attempt.batchId !== null)
      await db
        .updateTable('relayer_batches')
        .set({ state: 'signed', tx_hash: attempt.hash, updated_at: now })
        .where('id', '=', attempt.batchId)
        .execute();
    return attemptFromRow(row);
  });
}

/** Refused unless `replaces` is an open attempt of this key at the same nonce and batch, with no lower fee. */
export async function recordReplacement(
  store: StoreDatabase,
  lease: KeyLease,
  replaces: string,
  attempt: NewAttempt,
  now: number,
): Promise<Attempt | undefined> {
  if (attempt.keyAddress !== lease.address) return undefined;
  return writeTransaction(store, async (db) => {
    if ((await fence(db, store, lease)) === undefined) return undefined;
    const old = await openAttempt(db, lease, replaces);
    if (
      old === undefined ||
      Number(old.nonce) !== attempt.nonce ||
      old.batch_id !== attempt.batchId ||
      attempt.maxFeePerGas < BigInt(old.max_fee) ||
      attempt.maxPriorityFeePerGas < BigInt(old.max_priority_fee)
    )
      return undefined;
    const row = attemptRow(attempt, now);
    await db.insertInto('relayer_attempts').values(row).execute();
    // Transfers show the newest hash (from their batch); the one mined is written on them when
    // a receipt settles it.
    if (attempt.batchId !== null)
      await db
        .updateTable('relayer_batches')
        .set({ tx_hash: attempt.hash, updated_at: now })
        .where('id', '=', attempt.batchId)
        .where('state', 'in', SIGNED_OR_SUBMITTED)
        .execute();
    return attemptFromRow(row);
  });
}

async function openAttempt(db: Kysely<Database>, lease: KeyLease, attemptId: string) {
  return db
    .selectFrom('relayer_attempts')
    .selectAll()
    .where('id', '=', attemptId)
    .where('key_address', '=', lease.address)
    .where('state', 'in', OPEN)
    .executeTakeFirst();
}

/** True also when it was already submitted (a rebroadcast); false for a settled or dropped attempt. */
export async function markSubmitted(
  store: StoreDatabase,
  lease: KeyLease,
  attemptId: string,
  now: number,
): Promise<boolean> {
  return writeTransaction(store, async (db) => {
    if ((await fence(db, store, lease)) === undefined) return false;
    const attempt = await openAttempt(db, lease, attemptId);
    if (attempt === undefined) return false;
    if (attempt.state === 'signed')
      await db
        .updateTable('relayer_attempts')
        .set({ state: 'submitted', submitted_at: now })
        .where('id', '=', attemptId)
        .execute();
    if (attempt.batch_id !== null)
      await db
        .updateTable('relayer_batches')
        .set({ state: 'submitted', updated_at: now })
        .where('id', '=', attempt.batch_id)
        .where('state', '=', 'signed')
        .execute();
    return true;
  });
}

export async function openAttempts(store: StoreDatabase, lease: KeyLease): Promise<Attempt[]> {
  if (!(await holdsLease(store, lease))) return [];
  const rows = await store.db
    .selectFrom('relayer_attempts')
    .selectAll()
    .where('key_address', '=', lease.address)
    .where('state', 'in', OPEN)
    .orderBy('nonce')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(attemptFromRow);
}

/**
 * Undefined only when the lease is lost (callers read undefined as that). An attempt no longer
 * open (settled, replaced, dropped) or not this key's settles nothing: all lists empty.
 */
export async function settleAttempt(
  store: StoreDatabase,
  options: BatchWriteOptions,
  lease: KeyLease,
  attemptId: string,
  outcome: AttemptOutcome,
  failure: TransferFailure,
  now: number,
): Promise<SettledTransfers | undefined> {
  return writeTransaction(store, async (db) => {
    if ((await fence(db, store, lease)) === undefined) return undefined;
    const settled: SettledTransfers = { confirmed: [], failed: [], split: [] };
    const attempt = await openAttempt(db, lease, attemptId);
    if (attempt === undefined) return settled;
    const success = outcome.status === 'success';
    await db
      .updateTable('relayer_attempts')
      .set({ state: success ? 'confirmed' : 'reverted' })
      .where('id', '=', attemptId)
      .execute();
    await db
      .updateTable('relayer_attempts')
      .set({ state: 'replaced' })
      .where('key_address', '=', lease.address)
      .where('nonce', '=', attempt.nonce)
      .where('id', '!=', attemptId)
      .where('state', 'in', OPEN)
      .execute();
    const batchId = attempt.batch_id;
    if (batchId === null) return settled;
    if (attempt.kind === 'noop') {
      // A no-op that replaced a batch's attempt took its nonce: the batch did not happen.
      await setBatchState(db, batchId, 'failed', now);
      await returnTransfers(db, batchId, now);
      return settled;
    }
    const mined = { txHash: attempt.hash, blockNumber: outcome.blockNumber };
    if (success) {
      await setBatchState(db, batchId, 'confirmed', now);
      const rows = await finishTransfers(db, options, batchId, { state: 'confirmed', ...mined }, now);
      return { ...settled, confirmed: rows.map(settledEntry) };
    }
    const batch = await db
      .selectFrom('relayer_batches')
      .selectAll()
      .where('id', '=', batchId)
      .executeTakeFirstOrThrow();
    const halves = await bisect(db, batch, now);
    if (halves !== undefined) return { ...settled, split: halves };
    await setBatchState(db, batchId, 'failed', now);
    const rows = await finishTransfers(db, options, batchId, { state: 'failed', failure, ...mined }, now);
    return { ...settled, failed: rows.map(settledEntry) };
  });
}

/** False only when the lease is lost; a nonce with nothing open is already dropped (true). */
export async function dropNonce(
  store: StoreDatabase,
  lease: KeyLease,
  nonce: number,
  now: number,
): Promise<boolean> {
  return writeTransaction(store, async (db) => {
    if ((await fence(db, store, lease)) === undefined) return false;
    const dropped = await db
      .updateTable('relayer_attempts')
      .set({ state: 'dropped' })
      .where('key_address', '=', lease.address)
      .where('nonce', '=', nonce)
      .where('state', 'in', OPEN)
      .returning('batch_id')
      .execute();
    for (const batchId of new Set(dropped.map((row) => row.batch_id))) {
      if (batchId === null) continue;
      await setBatchState(db, batchId, 'failed', now);
      await returnTransfers(db, batchId, now);
    }
    return true;
  });
}
