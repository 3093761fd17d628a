/**
 * Redis is optional and never a single point of failure: with Redis unreachable, rate-limit
 * decisions follow `tenancy.rateLimitFailure` (open admits, closed refuses, local limits with the
 * process's own buckets), each one is
 * counted in a metric, and the gateway keeps serving.
 */
import { type AddressInfo, createServer, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway } from '../src/gateway.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { getFreePort } from './support/free-port.js';
import { rpc } from './support/rpc.js';

let anvil: AnvilNode;
let database: TestDatabase;
let secret: string;

beforeAll(async () => {
  anvil = await startAnvil();
  database = await createTestDatabase('sqlite');
  const store = new SqlTenancyStore(database.store);
  const plan = await store.createPlan({ name: 'limited', rateLimit: { perSecond: 1, burst: 1 } });
  const project = await store.createProject({ name: 'p', planId: plan.id });
  secret = (await store.createKey({ projectId: project.id })).secret;
});

afterAll(async () => {
  await database?.drop();
  await anvil?.stop();
});

const EXPECTED = {
  open: Array(5).fill(200),
  closed: Array(5).fill(429),
  // The plan's 1/s, burst 1, kept by this process alone: the first passes, the rest wait.
  local: [200, 429, 429, 429, 429],
};

describe.each(['open', 'closed', 'local'] as const)('Redis unreachable, rateLimitFailure: %s', (mode) => {
  it(
    {
      open: 'admits every request and counts the failures',
      closed: 'refuses with 429 and counts the failures',
      local: 'keeps the key to its limit with the process’s own bucket, and counts the failures',
    }[mode],
    async () => {
      // Nothing listens on this port: every Redis command fails at once.
      const deadRedis = `redis://127.0.0.1:${await getFreePort()}`;
      const gateway = createGateway({
        logging: { level: 'silent' },
        storage: { database: database.options.database, redisUrl: deadRedis },
        tenancy: { enabled: true, rateLimitFailure: mode },
        networks: { anvil: { upstreams: [{ url: anvil.url }] } },
      });
      const { url } = await gateway.listen(0, '127.0.0.1');
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 5; i++)
          statuses.push((await rpc(`${url}/anvil/${secret}`, 'eth_chainId')).status);
        expect(statuses).toEqual(EXPECTED[mode]);
        const metrics = await (await fetch(`${url}/metrics`)).text();
        const failures = Number(/^turnpike_ratelimit_backend_failures_total (\d+)/m.exec(metrics)?.[1]);
        expect(failures).toBeGreaterThanOrEqual(5);
      } finally {
        await gateway.close(1_000);
      }
    },
  );
});

describe('Redis that takes connections and never answers (a partition)', () => {
  it('does not hold the start; decisions follow rateLimitFailure and are counted', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const gateway = createGateway({
      logging: { level: 'silent' },
      storage: { database: database.options.database, redisUrl: `redis://127.0.0.1:${port}` },
      tenancy: { enabled: true, rateLimitFailure: 'closed', rateLimitTimeoutMs: 100 },
      networks: { anvil: { upstreams: [{ url: anvil.url }] } },
    });
    try {
      // It used to wait here forever: the tenancy change watcher awaited its SUBSCRIBE.
      const { url } = await gateway.listen(0, '127.0.0.1');
      // The decision timeout is the tenancy connection's command timeout.
      expect((gateway.tenancy?.parts.redis as Redis | undefined)?.options.commandTimeout).toBe(100);
      expect((await rpc(`${url}/anvil/${secret}`, 'eth_chainId')).status).toBe(429);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const failures = Number(/^turnpike_ratelimit_backend_failures_total (\d+)/m.exec(metrics)?.[1]);
      expect(failures).toBeGreaterThanOrEqual(1);
    } finally {
      await gateway.close(1_000);
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  }, 30_000);
});
