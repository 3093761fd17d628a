/**
 * `tenancy.rateLimitFailure: local` holds a key's limit across the fleet while Redis is down:
 * three gateway instances learn the fleet size from their Redis heartbeats, then a real
 * redis-server is killed and each instance's own bucket admits only its third of the limit.
 * Before the fleet share, each kept the full limit (3 × the bound across the three).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { connectRedis } from '../src/store/redis.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { getFreePort } from './support/free-port.js';
import { rpc } from './support/rpc.js';

// 0.5/s with a burst of 9: a third each is 1/6 per second and a burst of 3.
const RULE = { perSecond: 0.5, burst: 9 };
const INSTANCES = 3;
const REQUESTS_PER_INSTANCE = 12;

let anvil: AnvilNode;
let database: TestDatabase;
let secret: string;
let redis: ChildProcess;
let redisUrl: string;

beforeAll(async () => {
  anvil = await startAnvil();
  database = await createTestDatabase('postgres');
  const store = new SqlTenancyStore(database.store);
  const plan = await store.createPlan({ name: 'limited', rateLimit: RULE });
  const project = await store.createProject({ name: 'p', planId: plan.id });
  secret = (await store.createKey({ projectId: project.id })).secret;
  const port = await getFreePort();
  redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  redisUrl = `redis://127.0.0.1:${port}`;
  const probe = connectRedis(redisUrl, { onError: () => undefined });
  try {
    const deadline = Date.now() + 20_000;
    while ((await probe.ping().catch(() => 'down')) !== 'PONG') {
      if (Date.now() > deadline) throw new Error('redis-server did not answer');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    probe.disconnect();
  }
}, 60_000);

afterAll(async () => {
  if (redis !== undefined && redis.exitCode === null && redis.signalCode === null) redis.kill('SIGKILL');
  await database?.drop();
  await anvil?.stop();
});

async function fleetSize(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(/^turnpike_ratelimit_fleet_size (\d+)/m.exec(metrics)?.[1] ?? 0);
}

describe('Redis killed, rateLimitFailure: local, three instances', () => {
  it('admits no more than the key’s limit across the fleet', async () => {
    const gateways: Gateway[] = [];
    const urls: string[] = [];
    try {
      for (let i = 0; i < INSTANCES; i++) {
        const gateway = createGateway({
          logging: { level: 'silent' },
          storage: { database: database.options.database, schema: database.options.schema, redisUrl },
          tenancy: { enabled: true, rateLimitFailure: 'local' },
          networks: { anvil: { upstreams: [{ url: anvil.url }] } },
        });
        gateways.push(gateway);
        urls.push((await gateway.listen(0, '127.0.0.1')).url);
      }
      // A first decision makes each instance join the fleet; each sees 3 at its next heartbeat.
      for (const url of urls) expect((await rpc(`${url}/anvil/${secret}`, 'eth_chainId')).status).toBe(200);
      for (const url of urls) await expect.poll(() => fleetSize(url), { timeout: 20_000 }).toBe(INSTANCES);

      const exited = once(redis, 'exit');
      redis.kill('SIGKILL');
      await exited;
      const started = performance.now();
      const statuses = await Promise.all(
        urls.map(async (url) => {
          const seen: number[] = [];
          for (let i = 0; i < REQUESTS_PER_INSTANCE; i++)
            seen.push((await rpc(`${url}/anvil/${secret}`, 'eth_chainId')).status);
          return seen;
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const admitted = statuses.flat().filter((status) => status === 200).length;
      const refused = statuses.flat().filter((status) => status === 429).length;
      expect(admitted + refused).toBe(INSTANCES * REQUESTS_PER_INSTANCE);
      // The fleet-wide GCRA bound over the window, plus one request per instance for rounding.
      const bound = RULE.burst + RULE.perSecond * seconds + INSTANCES;
      expect(admitted).toBeLessThanOrEqual(bound);
      // Full buckets per instance would have admitted 3 × 9 at once.
      expect(admitted).toBeLessThan(INSTANCES * RULE.burst);
      // Still limiting, not refusing everyone: every instance admitted its share of the burst.
      for (const seen of statuses)
        expect(seen.filter((status) => status === 200).length).toBeGreaterThanOrEqual(3);
      // The fleet size is kept while Redis is gone.
      for (const url of urls) expect(await fleetSize(url)).toBe(INSTANCES);
    } finally {
      await Promise.all(gateways.map((gateway) => gateway.close(1_000)));
    }
  }, 120_000);
});
