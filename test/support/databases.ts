/**
 * Real databases for tests: a fresh SQLite file in a temp dir, or a fresh PostgreSQL schema
 * (random name, dropped afterwards) on the local server, so runs never collide.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { DatabaseOptions, StoreDatabase } from '../../src/store/database.js';
import { openDatabase } from '../../src/store/database.js';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type TestDialect = 'sqlite' | 'postgres';

export interface TestDatabase {
  /** Pass to `openDatabase` or put in a config's `storage` section (another process can open it). */
  readonly options: DatabaseOptions;
  readonly store: StoreDatabase;
  /** Closes the store and removes the file or schema. */
  drop(): Promise<void>;
}

const POOL = { max: 4, idleTimeoutMs: 5_000, connectionTimeoutMs: 5_000, statementTimeoutMs: 10_000 };

export function randomName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export async function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'turnpike-db-'));
    const options: DatabaseOptions = { database: join(dir, 'turnpike.db'), schema: 'public', pool: POOL };
    const store = await openDatabase(options);
    return {
      options,
      store,
      async drop() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = randomName('tp_test_');
  const options: DatabaseOptions = { database: POSTGRES_URL, schema, pool: POOL };
  const store = await openDatabase(options);
  return {
    options,
    store,
    async drop() {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
      await store.close();
    },
  };
}
