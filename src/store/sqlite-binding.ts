/**
 * Whether better-sqlite3's native binding loads. Importing the package works without it; the
 * binding is loaded by the first `new Database()`, so without this check a missing one surfaced
 * as a stack trace from deep inside the first store to open (in every cluster worker).
 */
import SqliteDatabase from 'better-sqlite3';
import { databaseLocation } from '../config/effective-settings.js';
import type { TurnpikeConfig } from '../config/schema.js';
import { InstallIncompleteError } from '../errors/install-incomplete.js';
import { isPostgresUrl } from './database.js';

/** Why the binding does not load, or undefined when it does. */
export function sqliteBindingProblem(): string | undefined {
  try {
    new SqliteDatabase(':memory:').close();
    return undefined;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // `bindings` lists every path it tried, and a binding built for another Node.js says so on
    // its third line: one short reason is enough.
    const reason = /NODE_MODULE_VERSION/.test(message)
      ? `it was built for another Node.js version than ${process.version}`
      : withoutTried(message.split('\n')[0] ?? message);
    return `better-sqlite3's SQLite binding does not load (${reason})`;
  }
}

/** The first line of `bindings`' error ends in "Tried:" (the list follows); cut it, in linear time. */
function withoutTried(line: string): string {
  return line.endsWith('Tried:') ? line.slice(0, -'Tried:'.length).trimEnd() : line;
}

/** Throws InstallIncompleteError when the binding does not load. */
export function assertSqliteBinding(): void {
  const problem = sqliteBindingProblem();
  if (problem !== undefined) throw new InstallIncompleteError([problem]);
}

/** As assertSqliteBinding, for a config that opens a SQLite database (tenancy or relayer on, no PostgreSQL URL). */
export function assertSqliteBindingIfUsed(
  config: Pick<TurnpikeConfig, 'storage' | 'tenancy' | 'relayer'>,
): void {
  const usesDatabase = config.tenancy.enabled || config.relayer.enabled;
  if (usesDatabase && !isPostgresUrl(databaseLocation(config.storage))) assertSqliteBinding();
}
