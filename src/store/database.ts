/**
 * Opens the one database: a SQLite file (better-sqlite3, WAL) by default, PostgreSQL (`pg` pool)
 * for fleets. Both sit behind the same Kysely query layer, so stores are written once.
 */
import { resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { StorageConfig } from '../config/schema.js';
import { maskUrlPassword } from './mask-url.js';
import { migrateToLatest } from './migrations.js';
import { cannotOpen, createSqliteFolder } from './sqlite-folder.js';
import { withStatementCache } from './statement-cache.js';
import type { StoreDatabase } from './store-database.js';
import type { Database } from './tables.js';
import { useWalCheckpointer } from './wal-checkpointer.js';

export type { Dialect, StoreDatabase } from './store-database.js';

export type DatabaseOptions = Pick<StorageConfig, 'database' | 'schema' | 'pool'>;

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

/** How long a SQLite writer waits for another process's write transaction. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;

export function isPostgresUrl(location: string): boolean {
  return POSTGRES_URL.test(location);
}

/** Opens the database and brings its schema to the latest migration (unless `migrate: false`). */
export async function openDatabase(
  options: DatabaseOptions,
  { migrate = true }: { migrate?: boolean } = {},
): Promise<StoreDatabase> {
  const store = isPostgresUrl(options.database) ? openPostgres(options) : openSqlite(options.database);
  if (migrate) {
    try {
      await migrateToLatest(store);
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return store;
}

function openSqlite(file: string): StoreDatabase {
  const path = file === ':memory:' ? file : resolve(file);
  if (path !== ':memory:') createSqliteFolder(path);
  const sqlite = openSqliteFile(path);
  // WAL lets readers run beside the one writer; every cluster worker opens its own handle,
  // and busy_timeout makes a writer wait for another process's commit instead of failing.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  sqlite.pragma('foreign_keys = ON');
  // 64 MiB of page cache instead of SQLite's 2 MiB: the relayer's random text keys (transfer and
  // request ids, idempotency keys) touch index pages all over a growing file; at 100,000
  // transfers the store alone (accept, claim, sign, submit, settle in a loop) took 25 % less
  // time and 11 % less CPU.
  sqlite.pragma('cache_size = -65536');
  const releaseCheckpoints = path === ':memory:' ? async () => undefined : useWalCheckpointer(sqlite, path);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  const close = async () => {
    await releaseCheckpoints();
    await db.destroy();
  };
  return { db, dialect: 'sqlite', location: path, schema: 'public', close };
}

function openSqliteFile(path: string): SqliteDatabase.Database {
  try {
    return new SqliteDatabase(path);
  } catch (err) {
    // A missing binding or the like is not about the path: only "cannot open" is.
    if ((err as { code?: unknown }).code === 'SQLITE_CANTOPEN')
      throw cannotOpen(path, 'cannot open the file', err);
    throw err;
  }
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

function openPostgres(options: DatabaseOptions): StoreDatabase {
  const { schema, pool: poolConfig } = options;
  const pool = new pg.Pool({
    connectionString: options.database,
    max: poolConfig.max,
    idleTimeoutMillis: poolConfig.idleTimeoutMs,
    connectionTimeoutMillis: poolConfig.connectionTimeoutMs,
    // Set at connect time, so no query can run before them.
    // idle_in_transaction_session_timeout: a process stalled inside a transaction (SIGSTOP, a
    // long GC or VM pause, a half-open connection) would otherwise hold its row locks for ever.
    // The relayer's fence takes the key row FOR UPDATE in every write, so a stalled lease holder
    // blocked the takeover of its keys after its lease expired (test/relayer-two-processes.test.ts,
    // pause). Our transactions never wait on their client longer than a statement may run.
    options:
      `-c search_path=${schema} -c statement_timeout=${poolConfig.statementTimeoutMs}` +
      ` -c idle_in_transaction_session_timeout=${poolConfig.statementTimeoutMs}`,
    // Counters and sums are bigint/numeric; they stay far below 2^53, so read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID || oid === NUMERIC_OID
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  // A checked-out client's connection can end too (a server restart, or the idle-in-transaction
  // timeout above ending a stalled process's session): without a listener its 'error' event
  // crashed the process. Its next query fails instead, and the pool drops it on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    location: maskUrlPassword(options.database),
    schema,
    close: () => db.destroy(),
  };
}
