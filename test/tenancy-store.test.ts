/**
 * SqlTenancyStore against real databases: the conformance suite on SQLite and PostgreSQL, and
 * two PostgreSQL pools (as two processes would have) flushing usage into the same rows.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase, type StoreDatabase } from '../src/store/database.js';
import { hashApiKey } from '../src/tenancy/api-key-secret.js';
import type { UsageDelta } from '../src/tenancy/model.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { describeTenancyStore, type TenancyStoreHarness } from './conformance/tenancy-store.suite.js';
import { createTestDatabase, type TestDialect } from './support/databases.js';

async function openSqlStore(dialect: TestDialect, now: () => number): Promise<TenancyStoreHarness> {
  const testDb = await createTestDatabase(dialect);
  return {
    store: new SqlTenancyStore(testDb.store, now),
    persistedText: () => dumpTables(testDb.store),
    drop: () => testDb.drop(),
  };
}

async function dumpTables(database: StoreDatabase): Promise<string> {
  const { db } = database;
  const tables = {
    plans: await db.selectFrom('plans').selectAll().execute(),
    projects: await db.selectFrom('projects').selectAll().execute(),
    api_keys: await db.selectFrom('api_keys').selectAll().execute(),
    credit_entries: await db.selectFrom('credit_entries').selectAll().execute(),
    usage_daily: await db.selectFrom('usage_daily').selectAll().execute(),
    tenancy_changes: await db.selectFrom('tenancy_changes').selectAll().execute(),
  };
  return JSON.stringify(tables);
}

describeTenancyStore('SqlTenancyStore on SQLite', (now) => openSqlStore('sqlite', now));
describeTenancyStore('SqlTenancyStore on PostgreSQL', (now) => openSqlStore('postgres', now));

describe('SqlTenancyStore on PostgreSQL from two pools', () => {
  it('concurrent flushes from both add up exactly, usage and credits', async () => {
    const testDb = await createTestDatabase('postgres');
    const second = await openDatabase(testDb.options);
    try {
      const first = new SqlTenancyStore(testDb.store);
      const other = new SqlTenancyStore(second);
      const plan = await first.createPlan({ name: 'basic' });
      const project = await first.createProject({ name: 'acme', planId: plan.id, credits: 1_000_000 });
      const keys = [
        await first.createKey({ projectId: project.id }),
        await first.createKey({ projectId: project.id }),
      ];
      // The second pool sees what the first committed.
      expect((await other.findGrant(hashApiKey(keys[1]!.secret), Date.now()))?.project.id).toBe(project.id);

      const flush = (store: SqlTenancyStore, i: number) => {
        // Both keys and the same few methods in every flush, so the pools fight over the same rows.
        const deltas: UsageDelta[] = [];
        for (const { key } of i % 2 === 0 ? keys : [...keys].reverse())
          for (const method of ['eth_call', 'eth_blockNumber', 'eth_getLogs'])
            deltas.push({
              day: '2024-03-20',
              projectId: project.id,
              keyId: key.id,
              network: 'ethereum',
              method,
              outcome: 'ok',
              requests: 1,
              computeUnits: 3,
              bytes: i,
            });
        return store.recordUsage(deltas);
      };
      const flushes = 25;
      await Promise.all(Array.from({ length: flushes }, (_, i) => [flush(first, i), flush(other, i)]).flat());

      const [total] = await other.queryUsage({ groupBy: [] });
      const bytesPerStore = 6 * ((flushes * (flushes - 1)) / 2);
      expect(total).toStrictEqual({
        requests: 2 * flushes * 6,
        computeUnits: 2 * flushes * 18,
        bytes: 2 * bytesPerStore,
      });
      const rows = await first.queryUsage({ groupBy: ['key', 'method'] });
      expect(rows).toHaveLength(6);
      for (const row of rows) expect(row).toMatchObject({ requests: 2 * flushes, computeUnits: 6 * flushes });
      expect((await first.getProject(project.id))?.credits).toBe(1_000_000 - 2 * flushes * 18);
    } finally {
      await second.close();
      await testDb.drop();
    }
  });
});
