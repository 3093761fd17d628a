/**
 * The usage meter against a real PostgreSQL that stops taking writes: a table lock held by
 * another session makes each flush time out; the meter keeps its series, retries, and once
 * the lock goes the totals are exact — nothing lost, nothing doubled.
 */
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type StoreDatabase } from '../src/store/database.js';
import { ProjectAccounts } from '../src/tenancy/project-accounts.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { UsageMeter } from '../src/tenancy/usage-meter.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';

let database: TestDatabase;
let impatient: StoreDatabase;

beforeAll(async () => {
  database = await createTestDatabase('postgres');
  // Same schema, but every statement gives up after 300 ms.
  impatient = await openDatabase({
    ...database.options,
    pool: { ...database.options.pool, statementTimeoutMs: 300 },
  });
});

afterAll(async () => {
  await impatient?.close();
  await database?.drop();
});

describe('UsageMeter', () => {
  it('keeps usage through failed flushes and writes it exactly once when the database is back', async () => {
    const store = new SqlTenancyStore(database.store);
    const plan = await store.createPlan({ name: 'p' });
    const project = await store.createProject({ name: 'p', planId: plan.id, credits: 1_000 });
    const { key } = await store.createKey({ projectId: project.id });
    const account = new ProjectAccounts().get(project.id);
    const meter = new UsageMeter(new SqlTenancyStore(impatient), pino({ level: 'silent' }));

    for (let i = 0; i < 7; i++) meter.record(account, key.id, 'eth', 'eth_call', 'ok', 30, 100);
    await meter.flush();
    expect(meter.stats.flushes).toBe(1);

    // Another session locks the table: the next flushes time out.
    const locker = await database.store.db.connection().execute(async (connection) => {
      await sql`begin`.execute(connection);
      await sql`lock table usage_daily in access exclusive mode`.execute(connection);
      for (let i = 0; i < 5; i++) meter.record(account, key.id, 'eth', 'eth_call', 'ok', 30, 100);
      await meter.flush();
      meter.record(account, key.id, 'eth', 'eth_getLogs', 'ERR_RATE_LIMITED', 0, 50);
      await meter.flush();
      const failures = meter.stats.failures;
      const pending = meter.pendingSeries;
      await sql`rollback`.execute(connection);
      return { failures, pending };
    });
    expect(locker.failures).toBe(2);
    expect(locker.pending).toBe(2);

    await meter.close();
    expect(meter.pendingSeries).toBe(0);
    const rows = await store.queryUsage({ projectId: project.id, groupBy: ['method', 'outcome'] });
    expect(rows).toEqual([
      { method: 'eth_call', outcome: 'ok', requests: 12, computeUnits: 360, bytes: 1_200 },
      { method: 'eth_getLogs', outcome: 'ERR_RATE_LIMITED', requests: 1, computeUnits: 0, bytes: 50 },
    ]);
    expect((await store.getProject(project.id))?.credits).toBe(1_000 - 360);
    // Only admitted usage counts as flushed for the credit and quota checks.
    expect(account.flushedRequests).toBe(12);
    expect(account.flushedComputeUnits).toBe(360);
  });

  it('hands out each key’s usage once through recentUsage, across good and failed flushes', async () => {
    const store = new SqlTenancyStore(database.store);
    const plan = await store.createPlan({ name: 'recent' });
    const project = await store.createProject({ name: 'recent', planId: plan.id });
    const { key } = await store.createKey({ projectId: project.id });
    const account = new ProjectAccounts().get(project.id);
    const meter = new UsageMeter(new SqlTenancyStore(impatient), pino({ level: 'silent' }));
    const recent = () =>
      meter
        .recentUsage()
        .map(({ requests, computeUnits, rateLimited }) => [requests, computeUnits, rateLimited]);

    for (let i = 0; i < 3; i++) meter.record(account, key.id, 'eth', 'eth_call', 'ok', 10, 1);
    expect(recent()).toEqual([[3, 30, 0]]);
    expect(recent()).toEqual([]);
    // Recorded after the read, then flushed: the next read still gets it, once.
    meter.record(account, key.id, 'eth', 'eth_call', 'ok', 10, 1);
    meter.record(account, key.id, 'eth', 'eth_call', 'ERR_RATE_LIMITED', 0, 1);
    await meter.flush();
    expect(meter.stats.flushes).toBe(1);
    expect(recent()).toEqual([[2, 10, 1]]);
    // A failed flush puts the series back, read marks and all: nothing is handed out twice.
    const locked = await database.store.db.connection().execute(async (connection) => {
      await sql`begin`.execute(connection);
      await sql`lock table usage_daily in access exclusive mode`.execute(connection);
      meter.record(account, key.id, 'eth', 'eth_call', 'ok', 10, 1);
      const before = recent();
      meter.record(account, key.id, 'eth', 'eth_call', 'ok', 10, 1);
      await meter.flush();
      await sql`rollback`.execute(connection);
      return { before, failures: meter.stats.failures };
    });
    expect(locked).toEqual({ before: [[1, 10, 0]], failures: 1 });
    expect(recent()).toEqual([[1, 10, 0]]);
    await meter.close();
    expect(recent()).toEqual([]);
  });
});
