/**
 * How the SQL tenancy store writes: every mutation runs in one transaction that takes the
 * write lock before its first read, and constraint failures are told apart the same way in
 * both dialects.
 */
import { type Kysely, sql } from 'kysely';
import type { StoreDatabase } from '../store/database.js';
import type { Database } from '../store/tables.js';

export type WriteWork<T> = (db: Kysely<Database>) => Promise<T>;

export async function writeTransaction<T>(store: StoreDatabase, work: WriteWork<T>): Promise<T> {
  if (store.dialect === 'postgres') return store.db.transaction().execute(work);
  // SQLite: BEGIN IMMEDIATE takes the write lock up front, so busy_timeout waits for another
  // process's writer. A deferred transaction that read first would instead fail with
  // SQLITE_BUSY when it tried to write after that writer committed. Kysely's SQLite driver
  // hands out its one connection under a mutex, so nothing else in this process interleaves.
  return store.db.connection().execute(async (db) => {
    await sql`begin immediate`.execute(db);
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
