/**
 * Signing-key leases in SQL. Taking a key is one conditional UPDATE (free, expired, or already
 * ours), so two processes racing for a key cannot both win; the fencing token moves on every
 * change of hands and every later write checks it (see `fence`).
 */
import { sql } from 'kysely';
import type { StoreDatabase } from '../store/store-database.js';
import { writeTransaction } from '../tenancy/sql-write-transaction.js';
import type { KeyLease } from './model.js';
import { chunks, fence, leaseFromRow, rowsPerStatement } from './sql-relayer-rows.js';

export async function registerKeys(store: StoreDatabase, addresses: readonly string[]): Promise<void> {
  const unique = [...new Set(addresses)];
  if (unique.length === 0) return;
  await writeTransaction(store, async (db) => {
    for (const chunk of chunks(unique, rowsPerStatement(5)))
      await db
        .insertInto('relayer_keys')
        .values(
          chunk.map((address) => ({
            address,
            owner: null,
            lease_expires_at: 0,
            fencing_token: 0,
            next_nonce: null,
          })),
        )
        .onConflict((conflict) => conflict.column('address').doNothing())
        .execute();
  });
}

/** Undefined also for a key never registered. */
export async function acquireKey(
  store: StoreDatabase,
  address: string,
  owner: string,
  leaseMs: number,
  now: number,
): Promise<KeyLease | undefined> {
  const row = await store.db
    .updateTable('relayer_keys')
    .set((eb) => ({
      // Same owner again (a renewal by acquire): same token. Anyone else: the next one.
      fencing_token: eb
        .case()
        .when('owner', '=', owner)
        .then(eb.ref('fencing_token'))
        .else(eb('fencing_token', '+', 1))
        .end(),
      owner,
      lease_expires_at: now + leaseMs,
    }))
    .where('address', '=', address)
    .where((eb) =>
      eb.or([eb('owner', 'is', null), eb('owner', '=', owner), eb('lease_expires_at', '<=', now)]),
    )
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? undefined : leaseFromRow(row);
}

/** A lease that expired but was not taken is still good: its token has not moved on. */
export async function renewKey(
  store: StoreDatabase,
  lease: KeyLease,
  leaseMs: number,
  now: number,
): Promise<KeyLease | undefined> {
  const row = await store.db
    .updateTable('relayer_keys')
    .set({ lease_expires_at: now + leaseMs })
    .where('address', '=', lease.address)
    .where('owner', '=', lease.owner)
    .where('fencing_token', '=', lease.fencingToken)
    .returningAll()
    .executeTakeFirst();
  return row === undefined ? undefined : leaseFromRow(row);
}

export async function releaseKey(store: StoreDatabase, lease: KeyLease): Promise<void> {
  await store.db
    .updateTable('relayer_keys')
    .set({ owner: null, lease_expires_at: 0 })
    .where('address', '=', lease.address)
    .where('owner', '=', lease.owner)
    .where('fencing_token', '=', lease.fencingToken)
    .execute();
}

export async function setNextNonce(
  store: StoreDatabase,
  lease: KeyLease,
  nextNonce: number,
): Promise<boolean> {
  return writeTransaction(store, async (db) => {
    if ((await fence(db, store, lease)) === undefined) return false;
    await db
      .updateTable('relayer_keys')
      .set({ next_nonce: nextNonce })
      .where('address', '=', lease.address)
      .execute();
    return true;
  });
}

/** Read-only calls under a lease answer nothing once it is lost. */
export async function holdsLease(store: StoreDatabase, lease: KeyLease): Promise<boolean> {
  const row = await store.db
    .selectFrom('relayer_keys')
    .select(sql<number>`1`.as('held'))
    .where('address', '=', lease.address)
    .where('owner', '=', lease.owner)
    .where('fencing_token', '=', lease.fencingToken)
    .executeTakeFirst();
  return row !== undefined;
}
