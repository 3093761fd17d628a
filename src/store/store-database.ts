/** The handle every store is built on (own file so migrations can name it without a cycle). */
import type { Kysely } from 'kysely';
import type { Database } from './tables.js';

export type Dialect = 'sqlite' | 'postgres';

export interface StoreDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where it lives, with any password masked (for logs). */
  readonly location: string;
  /** PostgreSQL schema holding the tables (`public` for SQLite, where it means nothing). */
  readonly schema: string;
  close(): Promise<void>;
}
