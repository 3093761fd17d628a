/**
 * The database stops answering (a real PostgreSQL table lock outlasting the pool's statement
 * timeout): keys already cached keep working with no database I/O, a key seen for the first
 * time gets 503 ERR_TENANCY_UNAVAILABLE, never a hang or a crash, and the gateway recovers as
 * soon as the database does.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { rpc } from './support/rpc.js';

let anvil: AnvilNode;
let database: TestDatabase;
let gateway: Gateway;
let base: string;
let cached: string;
let fresh: string;

beforeAll(async () => {
  anvil = await startAnvil();
  database = await createTestDatabase('postgres');
  const store = new SqlTenancyStore(database.store);
  const plan = await store.createPlan({ name: 'p' });
  const project = await store.createProject({ name: 'p', planId: plan.id });
  cached = (await store.createKey({ projectId: project.id })).secret;
  fresh = (await store.createKey({ projectId: project.id })).secret;
  gateway = createGateway({
    logging: { level: 'silent' },
    storage: {
      database: database.options.database,
      schema: database.options.schema,
      pool: { statementTimeoutMs: 300 },
    },
    tenancy: { enabled: true },
    networks: { anvil: { upstreams: [{ url: anvil.url }] } },
  });
  base = (await gateway.listen(0, '127.0.0.1')).url;
});

afterAll(async () => {
  await gateway?.close(1_000);
  await database?.drop();
  await anvil?.stop();
});

describe('tenancy with the database down', () => {
  it('serves cached keys, answers 503 for unseen ones, and recovers', async () => {
    expect((await rpc(`${base}/anvil/${cached}`, 'eth_chainId')).status).toBe(200);

    const during = await database.store.db.connection().execute(async (connection) => {
      await sql`begin`.execute(connection);
      await sql`lock table api_keys in access exclusive mode`.execute(connection);
      const known = await rpc(`${base}/anvil/${cached}`, 'eth_chainId');
      const unseen = await rpc(`${base}/anvil/${fresh}`, 'eth_chainId');
      await sql`rollback`.execute(connection);
      return { known, unseen };
    });
    expect(during.known.status).toBe(200);
    expect(during.unseen.status).toBe(503);
    expect((during.unseen.body as { error: { data: { code: string } } }).error.data.code).toBe(
      'ERR_TENANCY_UNAVAILABLE',
    );

    // The lock is gone: the same key is checked again (a failure is not remembered as "unknown").
    expect((await rpc(`${base}/anvil/${fresh}`, 'eth_chainId')).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/turnpike_auth_failures_total\{reason="unavailable"\} 1\b/);
  });
});
