/**
 * Tenancy and metering on a NEAR network: API keys, and usage charged in the compute units the
 * NEAR method table states (status 10, block 20, query 20, send_tx 250), each method under its
 * own name — against an emulated NEAR node and a real SQLite database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { NEAR_METHODS } from '../src/rpc/methods/near-methods.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { type NearEmulator, startNearEmulator } from './support/near-emulator/near-emulator.js';
import { nearCall } from './support/near-emulator/near-test-client.js';

let emulator: NearEmulator;
let database: TestDatabase;
let store: SqlTenancyStore;
let gateway: Gateway;
let base: string;
let projectId: string;
let secret: string;

beforeAll(async () => {
  emulator = await startNearEmulator({ blockMs: 100 });
  database = await createTestDatabase('sqlite');
  store = new SqlTenancyStore(database.store);
  const plan = await store.createPlan({ name: 'near-open' });
  const project = await store.createProject({ name: 'near-team', planId: plan.id });
  projectId = project.id;
  secret = (await store.createKey({ projectId, name: 'near-key' })).secret;
  gateway = createGateway({
    logging: { level: 'silent' },
    storage: { database: database.options.database },
    tenancy: { enabled: true, usageFlushMs: 50, changePollMs: 100, balanceRefreshMs: 100 },
    networks: { near: { type: 'near', upstreams: [{ url: emulator.nodes[0]!.url }] } },
  });
  base = (await gateway.listen(0, '127.0.0.1')).url;
});

afterAll(async () => {
  await gateway?.close(1_000);
  await emulator?.close();
  await database?.drop();
});

describe('NEAR metering', () => {
  it('refuses a call without a key', async () => {
    const answer = await nearCall(`${base}/near`, 'status', []);
    expect(answer.status).toBe(401);
  });

  it('charges each NEAR method its compute units, under its own name', async () => {
    const url = `${base}/near/${secret}`;
    for (let i = 0; i < 3; i++) expect((await nearCall(url, 'status', [])).error).toBeUndefined();
    for (let i = 0; i < 2; i++)
      expect((await nearCall(url, 'block', { finality: 'optimistic' })).error).toBeUndefined();
    expect(
      (
        await nearCall(url, 'query', {
          request_type: 'view_account',
          finality: 'final',
          account_id: 'nobody.test',
        })
      ).error?.cause?.name,
    ).toBe('UNKNOWN_ACCOUNT');
    // A refused transaction is still a call the node worked on.
    expect(
      (await nearCall(url, 'send_tx', { signed_tx_base64: 'AAAA', wait_until: 'NONE' })).error,
    ).toBeDefined();
    await gateway.close(1_000);
    const rows = await store.queryUsage({ projectId, groupBy: ['method'] });
    const units = Object.fromEntries(rows.map((row) => [row.method, [row.requests, row.computeUnits]]));
    expect(units).toEqual({ status: [3, 30], block: [2, 40], query: [1, 20], send_tx: [1, 250] });
    expect(NEAR_METHODS.entries.get('send_tx')!.units).toBe(250);
  });
});
