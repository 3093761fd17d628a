/**
 * WebSocket connection limits under real node:cluster: `turnpike start` with two workers (one
 * SQLite file, Redis for the fleet-wide counts). Sockets of one key land on both workers (seen
 * in /proc), and the key's `realtime.maxConnectionsPerKey` holds across them: a handshake either
 * worker would admit on its own count is refused with 429 ERR_REALTIME_CONNECTION_LIMIT. A
 * revocation (learned through Redis: the database poll is slowed to a minute) closes the
 * sockets on both workers with 4001.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import YAML from 'yaml';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { type CliProcess, childPids, killAllCli, startCli, waitFor } from './support/cli.js';
import { createTestDatabase, REDIS_URL, randomName, type TestDatabase } from './support/databases.js';
import { getFreePort } from './support/free-port.js';
import { socketOwner } from './support/socket-owner.js';
import { closed, openSocket, type Refusal } from './support/ws-client.js';

const ADMIN_TOKEN = 'ws-cluster-admin-token-0123456789';
const PER_KEY = 3;

let anvil: AnvilNode;
let database: TestDatabase;
let dir: string;
let redis: Redis;
const prefix = `${randomName('wscluster')}:`;
let cli: CliProcess;
let port: number;
let workers: number[];

beforeAll(async () => {
  anvil = await startAnvil();
  dir = await mkdtemp(join(tmpdir(), 'turnpike-ws-cluster-'));
  database = await createTestDatabase('sqlite');
  redis = new Redis(REDIS_URL);
  port = await getFreePort();
  const file = join(dir, 'turnpike.yaml');
  const config = {
    server: { port, workers: 2 },
    logging: { level: 'warn' },
    storage: { database: database.options.database, redisUrl: REDIS_URL, redisKeyPrefix: prefix },
    // A revocation can reach the workers within the test only through Redis.
    tenancy: { enabled: true, adminToken: ADMIN_TOKEN, changePollMs: 60_000 },
    realtime: { maxConnectionsPerKey: PER_KEY, maxConnectionsPerIp: 100 },
    networks: { anvil: { upstreams: [{ url: anvil.url }] } },
  };
  writeFileSync(file, YAML.stringify(config));
  cli = startCli(['start', '--config', file]);
  await cli.waitForLine(/^ready /);
  workers = childPids(cli.pid);
  expect(workers).toHaveLength(2);
});

afterAll(async () => {
  await killAllCli();
  const keys = await redis?.keys(`${prefix}*`);
  if (keys !== undefined && keys.length > 0) await redis.del(...keys);
  redis?.disconnect();
  await anvil?.stop();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

/** A new key of a new project, through the admin API of whichever worker answers. */
async function newKey(): Promise<{ id: string; secret: string }> {
  const store = new SqlTenancyStore(database.store);
  const plan = await store.createPlan({ name: randomName('plan') });
  const project = await store.createProject({ name: randomName('p'), planId: plan.id });
  const created = await fetch(`http://127.0.0.1:${port}/admin/v1/keys`, {
    method: 'POST',
    headers: adminHeaders,
    body: JSON.stringify({ project: project.id }),
  });
  expect(created.status).toBe(201);
  const { key, secret } = (await created.json()) as { key: { id: string }; secret: string };
  return { id: key.id, secret };
}

/** The worker holding the server end of a client socket. */
function workerOf(ws: WebSocket): number | undefined {
  const local = (ws as unknown as { _socket: { localPort: number } })._socket.localPort;
  return socketOwner(port, local, workers);
}

describe('realtime connection limits under node:cluster (2 workers, Redis)', () => {
  it('hold maxConnectionsPerKey across both workers, and a revocation closes the sockets on both', async () => {
    const { id, secret } = await newKey();
    const url = `ws://127.0.0.1:${port}/anvil/${secret}`;
    const sockets: WebSocket[] = [];
    for (let i = 0; i < PER_KEY; i++) sockets.push(await openSocket(url));
    const owners = sockets.map(workerOf);
    // The primary hands connections round robin: the key's sockets are on both workers, so
    // neither worker holds PER_KEY of them by its own count.
    expect(new Set(owners)).toEqual(new Set(workers));

    // Every further handshake, whichever worker takes it, is refused with the documented answer.
    for (let i = 0; i < 4; i++) {
      const refusal = await openSocket(url).then(
        (ws) => {
          sockets.push(ws);
          return undefined;
        },
        (err: Refusal) => err,
      );
      expect(refusal?.status).toBe(429);
      expect(refusal?.body.error.data).toMatchObject({ code: 'ERR_REALTIME_CONNECTION_LIMIT', limit: 'key' });
    }

    // A socket closed on one worker frees its place for a handshake on either.
    const first = sockets.shift()!;
    const gone = closed(first);
    first.close();
    await gone;
    sockets.push(
      await waitFor('a freed place', () =>
        openSocket(url).then(
          (ws) => ws,
          () => undefined,
        ),
      ),
    );
    expect(new Set(sockets.map(workerOf))).toEqual(new Set(workers));

    // Revoked through the admin API (one worker); both learn it from Redis and close with 4001.
    const closes = sockets.map(closed);
    const revoked = await fetch(`http://127.0.0.1:${port}/admin/v1/keys/${id}/revoke`, {
      method: 'POST',
      headers: adminHeaders,
    });
    expect(revoked.status).toBe(200);
    const codes = await Promise.all(closes);
    expect(codes.map((c) => c.code)).toEqual(sockets.map(() => 4001));
  });
});
