/**
 * WebSocket with tenancy on (keys in a real SQLite file, a real anvil): the key is checked at
 * the handshake (401 with the HTTP path's codes), in the path or a header; the per-key
 * connection limit refuses with 429; a revoked key's socket is closed with 4001 within 1 s;
 * eth_subscribe is admitted by the key's plan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import type { Project } from '../src/tenancy/model.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { closed, openSocket, type Refusal, request } from './support/ws-client.js';

const PER_KEY = 2;

let anvil: AnvilNode;
let database: TestDatabase;
let store: SqlTenancyStore;
let gateway: Gateway;
let project: Project;
let base: string;

beforeAll(async () => {
  anvil = await startAnvil();
  database = await createTestDatabase('sqlite');
  store = new SqlTenancyStore(database.store);
  const plan = await store.createPlan({ name: 'open' });
  project = await store.createProject({ name: 'ws', planId: plan.id });
  gateway = createGateway({
    logging: { level: 'silent' },
    storage: { database: database.options.database },
    tenancy: { enabled: true, changePollMs: 100 },
    realtime: { maxConnectionsPerKey: PER_KEY },
    networks: { anvil: { upstreams: [{ url: anvil.url }] } },
  });
  const { port } = await gateway.listen(0, '127.0.0.1');
  base = `ws://127.0.0.1:${port}`;
});

afterAll(async () => {
  await gateway?.close(1_000);
  await anvil?.stop();
  await database?.drop();
});

const refusal = (opening: Promise<unknown>) =>
  opening.then(
    () => undefined,
    (err: Refusal) => err,
  );

describe('WebSocket with API keys', () => {
  it('admits eth_subscribe through the key’s plan like any method', async () => {
    const plan = await store.createPlan({ name: 'no-subscriptions', deniedMethods: ['eth_subscribe'] });
    const denied = await store.createProject({ name: 'ws-denied', planId: plan.id });
    const { secret } = await store.createKey({ projectId: denied.id });
    const ws = await openSocket(`${base}/anvil/${secret}`);
    const refused = JSON.parse(
      await request(ws, '{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}'),
    );
    expect(refused.error.data.code).toBe('ERR_METHOD_NOT_ALLOWED');
    expect(await request(ws, '{"jsonrpc":"2.0","id":2,"method":"eth_chainId"}')).toBe(
      '{"jsonrpc":"2.0","id":2,"result":"0x7a69"}',
    );
    const { secret: open } = await store.createKey({ projectId: project.id });
    const allowed = await openSocket(`${base}/anvil/${open}`);
    const answer = JSON.parse(
      await request(allowed, '{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}'),
    );
    expect(answer.result).toMatch(/^0x[0-9a-f]{32}$/);
    for (const socket of [ws, allowed]) {
      socket.close();
      await closed(socket);
    }
  });

  it('refuses a missing or unknown key with 401 and the HTTP codes, before upgrading', async () => {
    const missing = await refusal(openSocket(`${base}/anvil`));
    expect(missing?.status).toBe(401);
    expect(missing?.headers['www-authenticate']).toBe('Bearer realm="turnpike"');
    expect(missing?.body.error.data.code).toBe('ERR_AUTH_MISSING_KEY');
    const unknown = await refusal(openSocket(`${base}/anvil/tp_${'0'.repeat(40)}`));
    expect(unknown?.status).toBe(401);
    expect(unknown?.body.error.data.code).toBe('ERR_AUTH_INVALID_KEY');
  });

  it('takes the key in the path or in X-Api-Key, and refuses past the per-key limit with 429', async () => {
    const { secret } = await store.createKey({ projectId: project.id });
    const inPath = await openSocket(`${base}/anvil/${secret}`);
    const inHeader = await openSocket(`${base}/anvil`, { headers: { 'x-api-key': secret } });
    for (const ws of [inPath, inHeader])
      expect(await request(ws, '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}')).toBe(
        '{"jsonrpc":"2.0","id":1,"result":"0x7a69"}',
      );
    const third = await refusal(openSocket(`${base}/anvil/${secret}`));
    expect(third?.status).toBe(429);
    expect(third?.body.error.data.code).toBe('ERR_REALTIME_CONNECTION_LIMIT');
    expect(third?.body.error.data.limit).toBe('key');
    inPath.close();
    inHeader.close();
    await expect.poll(() => gateway.realtime!.connections).toBe(0);
  });

  it('closes a revoked key’s socket with 4001 within 1 s, revoked by another writer', async () => {
    const { key, secret } = await store.createKey({ projectId: project.id });
    const ws = await openSocket(`${base}/anvil/${secret}`);
    expect(await request(ws, '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}')).toContain('0x7a69');
    const closing = closed(ws);
    // Another writer (the CLI, another instance): this process learns of it by its change watcher.
    await new SqlTenancyStore(database.store).revokeKey(key.id);
    const revokedAt = performance.now();
    const { code } = await closing;
    expect(code).toBe(4001);
    expect(performance.now() - revokedAt).toBeLessThan(1_000);
  });
});
