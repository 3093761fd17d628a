/**
 * Tenancy across processes, as it runs in production: two `turnpike start` instances sharing
 * PostgreSQL and Redis, and one instance with two cluster workers and no Redis (SQLite, rate
 * limits leased from the primary). One global rate limit, revocation everywhere within 1 s,
 * and metered totals equal to the requests served — across graceful restarts.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import type { Project } from '../src/tenancy/model.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { type CliProcess, killAllCli, startCli } from './support/cli.js';
import { createTestDatabase, REDIS_URL, randomName, type TestDatabase } from './support/databases.js';
import { getFreePort } from './support/free-port.js';

const ADMIN_TOKEN = 'fleet-admin-token-0123456789abcdef';

interface Instance {
  cli: CliProcess;
  url: string;
  pool: Pool;
}

let anvil: AnvilNode;
let dir: string;

beforeAll(async () => {
  anvil = await startAnvil();
  dir = await mkdtemp(join(tmpdir(), 'turnpike-fleet-'));
});

afterEach(async () => {
  await killAllCli();
});

afterAll(async () => {
  await anvil?.stop();
  await rm(dir, { recursive: true, force: true });
});

function writeConfig(
  name: string,
  storage: Record<string, unknown>,
  workers: number,
  port: number,
  tenancy: Record<string, unknown> = {},
): string {
  const file = join(dir, `${name}.yaml`);
  const config = {
    server: { port, workers },
    logging: { level: 'warn' },
    storage,
    tenancy: { enabled: true, adminToken: ADMIN_TOKEN, usageFlushMs: 200, ...tenancy },
    networks: { anvil: { upstreams: [{ url: anvil.url }] } },
  };
  writeFileSync(file, YAML.stringify(config));
  return file;
}

async function start(file: string): Promise<Instance> {
  const cli = startCli(['start', '--config', file]);
  const line = await cli.waitForLine(/^ready /);
  const url = line.slice('ready '.length).trim();
  return { cli, url, pool: new Pool(url, { connections: 8 }) };
}

async function stop(instance: Instance): Promise<void> {
  await instance.pool.close();
  instance.cli.child.kill('SIGTERM');
  const { code } = await instance.cli.exited;
  expect(code).toBe(0);
}

async function call(
  instance: Instance,
  key: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const res = await instance.pool.request({
    path: `/anvil/${key}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, body: await res.body.json() };
}

const single = { jsonrpc: '2.0', id: 1, method: 'eth_chainId' };

/** Closed loops on every instance until `ms` passes; counts statuses. */
async function hammer(instances: Instance[], key: string, ms: number, loops = 6) {
  const counts = { ok: 0, limited: 0, other: 0 };
  const startedAt = performance.now();
  const until = startedAt + ms;
  await Promise.all(
    instances.flatMap((instance) =>
      Array.from({ length: loops }, async () => {
        while (performance.now() < until) {
          const { status } = await call(instance, key, single);
          if (status === 200) counts.ok++;
          else if (status === 429) counts.limited++;
          else counts.other++;
        }
      }),
    ),
  );
  return { ...counts, seconds: (performance.now() - startedAt) / 1000 };
}

/** `total` JSON-RPC requests as batches of 20, spread over the instances. */
async function serve(instances: Instance[], key: string, total: number): Promise<number> {
  const batch = Array.from({ length: 20 }, (_, id) => ({ jsonrpc: '2.0', id, method: 'eth_blockNumber' }));
  let sent = 0;
  let served = 0;
  await Promise.all(
    Array.from({ length: 16 }, async (_, loop) => {
      const instance = instances[loop % instances.length]!;
      while (sent < total) {
        sent += batch.length;
        const { status, body } = await call(instance, key, batch);
        expect(status).toBe(200);
        served += (body as unknown[]).filter(
          (item) => (item as { result?: string }).result !== undefined,
        ).length;
      }
    }),
  );
  return served;
}

async function seed(
  database: TestDatabase,
  planInput: Parameters<SqlTenancyStore['createPlan']>[0],
  credits?: number,
) {
  const store = new SqlTenancyStore(database.store);
  const plan = await store.createPlan(planInput);
  const project: Project = await store.createProject({
    name: randomName('p'),
    planId: plan.id,
    ...(credits !== undefined && { credits }),
  });
  const { secret } = await store.createKey({ projectId: project.id });
  return { store, project, secret };
}

async function meteredRequests(store: SqlTenancyStore, projectId: string): Promise<number> {
  const [row] = await store.queryUsage({ projectId, groupBy: [] });
  return row?.requests ?? 0;
}

/** GCRA admits the burst, then `perSecond`; a shared limit holds within 5 % of that. */
function expectWithinLimit(admitted: number, perSecond: number, burst: number, seconds: number): void {
  const limit = burst + perSecond * seconds;
  expect(admitted).toBeGreaterThanOrEqual(Math.floor(limit * 0.95));
  expect(admitted).toBeLessThanOrEqual(Math.ceil(limit * 1.05));
}

describe('two instances sharing PostgreSQL and Redis', () => {
  let database: TestDatabase;
  let files: string[];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const storage = {
      database: database.options.database,
      schema: database.options.schema,
      redisUrl: REDIS_URL,
      redisKeyPrefix: `${randomName('tpfleet')}:`,
    };
    // Database polling every minute only: a change within 1 s can only come from Redis pub/sub.
    const slowPoll = { changePollMs: 60_000 };
    files = [
      writeConfig('a', storage, 1, await getFreePort(), slowPoll),
      writeConfig('b', storage, 1, await getFreePort(), slowPoll),
    ];
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('enforce one global rate limit (within 5 %)', async () => {
    const { secret } = await seed(database, {
      name: randomName('rl'),
      rateLimit: { perSecond: 100, burst: 20 },
    });
    const instances = await Promise.all(files.map(start));
    const result = await hammer(instances, secret, 3_000);
    expect(result.other).toBe(0);
    expect(result.limited).toBeGreaterThan(result.ok);
    expectWithinLimit(result.ok, 100, 20, result.seconds);
    await Promise.all(instances.map(stop));
  });

  it('refuse a key revoked through the other instance within 1 s', async () => {
    const { project } = await seed(database, { name: randomName('rv') });
    const [a, b] = await Promise.all(files.map(start));
    const created = await fetch(`${a!.url}/admin/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ project: project.id }),
    });
    expect(created.status).toBe(201);
    const { key, secret } = (await created.json()) as { key: { id: string }; secret: string };
    expect((await call(b!, secret, single)).status).toBe(200);
    const revoked = await fetch(`${a!.url}/admin/v1/keys/${key.id}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(revoked.status).toBe(200);
    const revokedAt = performance.now();
    let status = 200;
    while (status === 200 && performance.now() - revokedAt < 5_000)
      status = (await call(b!, secret, single)).status;
    expect(status).toBe(401);
    expect(performance.now() - revokedAt).toBeLessThan(1_000);
    await Promise.all([a!, b!].map(stop));
  });

  it('meter 20,000 requests exactly, and again across a graceful restart, with credits to match', async () => {
    const credits = 10_000_000;
    const { store, project, secret } = await seed(database, { name: randomName('mt') }, credits);
    let instances = await Promise.all(files.map(start));
    const first = await serve(instances, secret, 20_000);
    expect(first).toBe(20_000);
    await Promise.all(instances.map(stop));
    expect(await meteredRequests(store, project.id)).toBe(20_000);
    instances = await Promise.all(files.map(start));
    const second = await serve(instances, secret, 4_000);
    await Promise.all(instances.map(stop));
    expect(await meteredRequests(store, project.id)).toBe(20_000 + second);
    // eth_blockNumber costs 10 compute units.
    expect((await store.getProject(project.id))?.credits).toBe(credits - 10 * (20_000 + second));
  });
});

describe('one instance with two cluster workers, SQLite and no Redis', () => {
  let database: TestDatabase;
  let file: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    file = writeConfig('cluster', { database: database.options.database }, 2, await getFreePort());
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('enforce one limit across workers (leases from the primary) and meter every request', async () => {
    const { store, project, secret } = await seed(database, {
      name: randomName('cl'),
      rateLimit: { perSecond: 100, burst: 20 },
    });
    const instance = await start(file);
    // Two pools so connections land on both workers.
    const second: Instance = { ...instance, pool: new Pool(instance.url, { connections: 8 }) };
    const result = await hammer([instance, second], secret, 3_000);
    await second.pool.close();
    await stop(instance);
    expect(result.other).toBe(0);
    expectWithinLimit(result.ok, 100, 20, result.seconds);
    // Refused requests are metered too (free): every answer is in the usage table.
    expect(await meteredRequests(store, project.id)).toBe(result.ok + result.limited);
  });
});
