/**
 * How the SQL tenancy store writes: every mutation runs in one transaction that takes the
 * write lock before its first read, and constraint failures are told apart the same way in
 * both dialects.
 */
import { setImmediate as setImmediatePromise, setTimeout as setTimeoutPromise } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import { SQLITE_BUSY_TIMEOUT_MS, type StoreDatabase } from '../store/database.js';
import type { Database } from '../store/tables.js';

export type WriteWork<T> = (db: Kysely<Database>) => Promise<T>;

export async function writeTransaction<T>(store: StoreDatabase, work: WriteWork<T>): Promise<T> {
  if (store.dialect === 'postgres') return store.db.transaction().execute(work);
  // SQLite: BEGIN IMMEDIATE takes the write lock up front, so busy_timeout waits for another
  // process's writer. A deferred transaction that read first would instead fail with
  // SQLITE_BUSY when it tried to write after that writer committed. Kysely's SQLite driver
  // hands out its one connection under a mutex, so nothing else in this process interleaves.
  return store.db.connection().execute(async (db) => {
    await beginImmediate(db);
    try {
      const result = await work(db);
      await sql`commit`.execute(db);
      return result;
    } catch (err) {
      await sql`rollback`.execute(db).catch(() => undefined);
      throw err;
    }
  });
}

/** Retries on the next turn of the event loop before falling back to 1-ms timers. */
const QUICK_RETRIES = 50;

/**
 * BEGIN IMMEDIATE that waits for another process's writer without blocking this thread.
 * SQLite's own busy handler sleeps inside the call, 1, 2, 5, 10, 15 ms… while the event loop
 * stands still: with the relayer engine in a worker of its own, intake commits waited behind it
 * p99 18.7 ms, max 110 ms (docs/benchmarks.md "Relayer"). Here the first try does not wait, and
 * retries come on the next turns of the loop (sub-millisecond; the engine's transactions are
 * that short), then every millisecond, for as long as the busy_timeout would have waited.
 */
async function beginImmediate(db: Kysely<Database>): Promise<void> {
  await sql`pragma busy_timeout = 0`.execute(db);
  try {
    const deadline = performance.now() + SQLITE_BUSY_TIMEOUT_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await sql`begin immediate`.execute(db);
        return;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || performance.now() > deadline) throw err;
      }
      await (attempt <= QUICK_RETRIES ? setImmediatePromise() : setTimeoutPromise(1));
    }
  } finally {
    // Statements outside writeTransaction still wait in SQLite's handler.
    await sql.raw(`pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`).execute(db);
  }
}

export type ConstraintKind = 'unique' | 'foreign_key';

/** Which constraint a driver error broke (PostgreSQL SQLSTATE or better-sqlite3 code), if any. */
export function brokenConstraint(err: unknown): ConstraintKind | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return 'unique';
  if (code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign_key';
  return undefined;
}

export type ChangeKind = 'plan' | 'project' | 'key';

/** Call inside the transaction of the change: a process that sees the new id sees the change. */
export async function recordChange(db: Kysely<Database>, kind: ChangeKind, subject: string, now: number) {
  await db.insertInto('tenancy_changes').values({ kind, subject, created_at: now }).execute();
}
