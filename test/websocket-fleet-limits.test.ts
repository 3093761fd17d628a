/**
 * WebSocket connection limits across instances: two gateways sharing one database and Redis
 * (as two instances, or two cluster workers, would) hold `realtime.maxConnectionsPerKey` and
 * `maxConnectionsPerIp` together, not each; a closed socket frees its place at once; the count
 * of a process that died (it no longer renews its lease) stops counting within the lease.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { CONNECTION_LEASE_MS, ConnectionCounts } from '../src/realtime/connection-counts.js';
import { connectRedis } from '../src/store/redis.js';
import type { Project } from '../src/tenancy/model.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { createTestDatabase, REDIS_URL, randomName, type TestDatabase } from './support/databases.js';
import { getFreePort } from './support/free-port.js';
import { closed, openSocket, type Refusal, request, sleep } from './support/ws-client.js';

const PER_KEY = 3;
const PER_IP = 5;

let anvil: AnvilNode;
let database: TestDatabase;
let store: SqlTenancyStore;
let project: Project;
let redis: Redis;
const prefix = `${randomName('wsfleet')}:`;
const gateways: Gateway[] = [];
const bases: string[] = [];

beforeAll(async () => {
  anvil = await startAnvil();
  database = await createTestDatabase('sqlite');
  store = new SqlTenancyStore(database.store);
  const plan = await store.createPlan({ name: 'open' });
  project = await store.createProject({ name: 'fleet', planId: plan.id });
  redis = new Redis(REDIS_URL);
  for (let i = 0; i < 2; i++) {
    const gateway = createGateway({
      logging: { level: 'silent' },
      storage: { database: database.options.database, redisUrl: REDIS_URL, redisKeyPrefix: prefix },
      tenancy: { enabled: true },
      realtime: { maxConnectionsPerKey: PER_KEY, maxConnectionsPerIp: PER_IP },
      networks: { anvil: { upstreams: [{ url: anvil.url }] } },
    });
    const { port } = await gateway.listen(0, '127.0.0.1');
    gateways.push(gateway);
    bases.push(`ws://127.0.0.1:${port}/anvil`);
  }
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.close(1_000);
  const keys = await redis?.keys(`${prefix}*`);
  if (keys !== undefined && keys.length > 0) await redis.del(...keys);
  redis?.disconnect();
  await anvil?.stop();
  await database?.drop();
});

const refusalOf = (opening: Promise<WebSocket>): Promise<Refusal | undefined> =>
  opening.then(
    (ws) => {
      ws.close();
      return undefined;
    },
    (err: Refusal) => err,
  );

async function closeAll(sockets: readonly WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map((ws) => {
      const done = closed(ws);
      ws.close();
      return done;
    }),
  );
  await expect.poll(() => gateways.reduce((sum, gateway) => sum + gateway.realtime!.connections, 0)).toBe(0);
}

describe('connection limits across two instances sharing Redis', () => {
  it('holds the per-key limit across instances, and a closed socket frees its place at once', async () => {
    const { secret } = await store.createKey({ projectId: project.id });
    const [a, b] = bases as [string, string];
    const held = [
      await openSocket(`${a}/${secret}`),
      await openSocket(`${a}/${secret}`),
      await openSocket(`${b}/${secret}`),
    ];
    for (const base of [b, a]) {
      const refused = await refusalOf(openSocket(`${base}/${secret}`));
      expect(refused?.status).toBe(429);
      expect(refused?.body.error.data.code).toBe('ERR_REALTIME_CONNECTION_LIMIT');
      expect(refused?.body.error.data.limit).toBe('key');
    }
    // One closes on A: B may open one (A wrote its lower count when the socket closed).
    const first = held.shift()!;
    const done = closed(first);
    first.close();
    await done;
    await expect.poll(() => gateways[0]!.realtime!.connections).toBe(1);
    const replacement = await openSocket(`${b}/${secret}`);
    expect(await request(replacement, '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}')).toContain('0x7a69');
    held.push(replacement);
    await closeAll(held);
  });

  it('holds the per-IP limit across instances and keys', async () => {
    const [a, b] = bases as [string, string];
    const one = await store.createKey({ projectId: project.id });
    const two = await store.createKey({ projectId: project.id });
    const held: WebSocket[] = [];
    for (const base of [a, b, a]) held.push(await openSocket(`${base}/${one.secret}`));
    for (const base of [b, a]) held.push(await openSocket(`${base}/${two.secret}`));
    const refused = await refusalOf(openSocket(`${b}/${two.secret}`));
    expect(refused?.status).toBe(429);
    expect(refused?.body.error.data.limit).toBe('ip');
    await closeAll(held);
  });

  it('stops counting a dead process’s sockets once its lease runs out', async () => {
    const { key, secret } = await store.createKey({ projectId: project.id });
    // A process that held PER_KEY sockets of this key and was killed: its count is never renewed.
    const [seconds] = await redis.time();
    const expiresAt = Number(seconds) * 1000 + 1_500;
    await redis.hset(`${prefix}ws:k:${key.id}`, 'dead-process', `${PER_KEY}:${expiresAt}`);
    const refused = await refusalOf(openSocket(`${bases[0]}/${secret}`));
    expect(refused?.body.error.data.limit).toBe('key');
    let opened: WebSocket | undefined;
    const deadline = Date.now() + 2 * CONNECTION_LEASE_MS;
    while (opened === undefined && Date.now() < deadline) {
      opened = await openSocket(`${bases[1]}/${secret}`).catch(() => undefined);
      if (opened === undefined) await sleep(100);
    }
    expect(opened).toBeDefined();
    // The dead field is gone; the live one is this instance's.
    const fields = await redis.hgetall(`${prefix}ws:k:${key.id}`);
    expect(Object.keys(fields)).toHaveLength(1);
    expect(fields['dead-process']).toBeUndefined();
    await closeAll([opened!]);
  });
});

describe('connection counts when Redis does not answer', () => {
  it('falls back to the per-process limit, and counts each such handshake', async () => {
    const dead = connectRedis(`redis://127.0.0.1:${await getFreePort()}`, { onError: () => undefined });
    const failures: unknown[] = [];
    const counts = new ConnectionCounts({ redis: dead, prefix, onFailure: (err) => failures.push(err) });
    const claim = { id: 'k:key_down', limit: 2, scope: 'key' } as const;
    try {
      expect(await counts.acquire([claim])).toBeUndefined();
      expect(await counts.acquire([claim])).toBeUndefined();
      // Full in this process: refused without asking Redis.
      expect(await counts.acquire([claim])).toBe(claim);
      expect(failures).toHaveLength(2);
      expect(counts.held(claim.id)).toBe(2);
      counts.release([claim.id]);
      expect(counts.held(claim.id)).toBe(1);
    } finally {
      dead.disconnect();
    }
  });
});
