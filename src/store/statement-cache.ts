/**
 * Kysely's SQLite driver prepares every query again (better-sqlite3 `prepare`: parse and plan).
 * The queries Turnpike runs are few and repeat (multi-row inserts vary only by row count), so
 * prepared statements are kept by SQL text, the least recently used dropped past `max`. At
 * 2,000 relayer requests/s preparing was 12 % of the intake's database time.
 */
import type SqliteDatabase from 'better-sqlite3';
import type { SqliteDatabase as KyselySqliteDatabase } from 'kysely';

export const STATEMENT_CACHE_SIZE = 256;

export function withStatementCache(
  database: SqliteDatabase.Database,
  max = STATEMENT_CACHE_SIZE,
): KyselySqliteDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement !== undefined) {
        // Re-inserted: a Map iterates in insertion order, so the first key is the least recent.
        statements.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (statements.size >= max) statements.delete(statements.keys().next().value as string);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}
