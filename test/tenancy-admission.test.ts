/**
 * Whole-request admission, over real sockets, a real anvil behind a counting proxy and a real
 * database (SQLite and PostgreSQL): a JSON-RPC batch or a relayer POST that the prepaid credits
 * or the monthly quota cannot pay in full is refused as a whole (402) with nothing forwarded,
 * stored or charged; one that fits is served and charged its full cost. And method names:
 * malformed ones are refused with ERR_INVALID_METHOD_NAME, unknown ones are metered under one
 * label, so callers cannot grow the usage table.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import type { RelayerStore } from '../src/relayer/relayer-store.js';
import { openRelayerStore } from '../src/relayer/sql-relayer-store.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { type FaultProxy, startFaultProxy } from './support/fault-proxy.js';
import { postJson, type RpcResponse, rpc } from './support/rpc.js';

const USDC = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const ALICE = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';

/** The gateway code of a JSON-RPC error answer. */
function errorCode(body: unknown): string | undefined {
  return (body as { error?: { data?: { code?: string } } }).error?.data?.code;
}

/** The gateway code of a relayer API error answer. */
function relayerCode(res: RpcResponse): string | undefined {
  return (res.body as { error?: { code?: string } }).error?.code;
}

/** `count` eth_getBalance calls (20 CU each) of distinct addresses, so none is coalesced. */
function balanceBatch(count: number): unknown[] {
  return Array.from({ length: count }, (_, i) => ({
    jsonrpc: '2.0',
    id: i,
    method: 'eth_getBalance',
    params: [`0x${(i + 1).toString(16).padStart(40, '0')}`, 'latest'],
  }));
}

/** `count` transfers to Alice, in the fields of `/v1/transfers` or of `/send-ft`. */
function transfers(count: number, form: 'v1' | 'send-ft' = 'v1'): Record<string, string>[] {
  return Array.from({ length: count }, (_, i) =>
    form === 'v1'
      ? { token: 'USDC', to: ALICE, amount: String(i + 1) }
      : { receiverId: ALICE, amount: String(i + 1) },
  );
}

describe.each(['sqlite', 'postgres'] as const)('whole-request admission and method names (%s)', (dialect) => {
  let anvil: AnvilNode;
  let proxy: FaultProxy;
  let database: TestDatabase;
  let store: SqlTenancyStore;
  let relayerStore: RelayerStore;
  let gateway: Gateway;
  let base: string;
  const adminToken = randomBytes(16).toString('hex');

  beforeAll(async () => {
    anvil = await startAnvil();
    proxy = await startFaultProxy(anvil.url);
    database = await createTestDatabase(dialect);
    store = new SqlTenancyStore(database.store);
    relayerStore = await openRelayerStore(database.options, { webhooks: false });
    gateway = createGateway(
      {
        logging: { level: 'silent' },
        storage: { database: database.options.database, schema: database.options.schema },
        // Usage is flushed by the tests themselves, so what they read is what they caused.
        tenancy: { enabled: true, adminToken, usageFlushMs: 60_000 },
        networks: { anvil: { upstreams: [{ id: 'anvil-0', url: proxy.url }] } },
        relayer: {
          enabled: true,
          engine: false,
          network: 'anvil',
          batchContract: '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0',
          tokens: { USDC },
          defaultToken: 'USDC',
        },
      },
      { relayerStore },
    );
    base = (await gateway.listen(0, '127.0.0.1')).url;
  });

  afterAll(async () => {
    await gateway?.close(1_000);
    await relayerStore?.close();
    await proxy?.close();
    await anvil?.stop();
    await database?.drop();
  });

  async function issue(plan: { monthlyQuota?: number }, credits?: number) {
    const created = await store.createPlan({ name: `plan-${randomBytes(4).toString('hex')}`, ...plan });
    const project = await store.createProject({
      name: `project-${randomBytes(4).toString('hex')}`,
      planId: created.id,
      ...(credits !== undefined && { credits }),
    });
    const { secret } = await store.createKey({ projectId: project.id });
    return { projectId: project.id, secret, url: `${base}/anvil/${secret}` };
  }

  /** Writes this process's usage, then reads what the database holds. */
  async function flushed(projectId: string) {
    await gateway.tenancy!.parts.meter!.flush();
    const [total] = await store.queryUsage({ projectId, groupBy: [] });
    const project = await store.getProject(projectId);
    return {
      credits: project?.credits,
      requests: total?.requests ?? 0,
      computeUnits: total?.computeUnits ?? 0,
    };
  }

  function forwarded(method: string): number {
    return proxy.stats.byMethod.get(method) ?? 0;
  }

  async function post(path: string, secret: string, body: unknown): Promise<RpcResponse> {
    return postJson(`${base}${path}`, body, {
      headers: { 'x-api-key': secret, 'idempotency-key': randomBytes(8).toString('hex') },
    });
  }

  describe('JSON-RPC batches', () => {
    it('refuses a batch the credits cannot pay in full: 402, nothing forwarded, nothing charged', async () => {
      const { projectId, url } = await issue({}, 100);
      proxy.resetStats();
      // 6 × 20 CU = 120 > 100: the first five would fit on their own.
      const res = await postJson(url, balanceBatch(6));
      expect(res.status).toBe(402);
      expect(errorCode(res.body)).toBe('ERR_CREDITS_EXHAUSTED');
      expect(forwarded('eth_getBalance')).toBe(0);
      expect(await flushed(projectId)).toEqual({ credits: 100, requests: 6, computeUnits: 0 });
    });

    it('serves a batch within the credits and charges its full cost', async () => {
      const { projectId, url } = await issue({}, 100);
      proxy.resetStats();
      const res = await postJson(url, balanceBatch(5));
      expect(res.status).toBe(200);
      const items = res.body as { result?: string }[];
      expect(items).toHaveLength(5);
      for (const item of items) expect(item.result).toMatch(/^0x/);
      expect(forwarded('eth_getBalance')).toBe(5);
      expect(await flushed(projectId)).toEqual({ credits: 0, requests: 5, computeUnits: 100 });
      const after = await rpc(url, 'eth_getBalance', [ALICE, 'latest']);
      expect(after.status).toBe(402);
    });

    it('lets only one of two concurrent batches that each fit the credits through', async () => {
      const { projectId, url } = await issue({}, 100);
      proxy.resetStats();
      const answers = await Promise.all([postJson(url, balanceBatch(5)), postJson(url, balanceBatch(5))]);
      expect(answers.map((res) => res.status).sort()).toEqual([200, 402]);
      expect(forwarded('eth_getBalance')).toBe(5);
      expect((await flushed(projectId)).credits).toBe(0);
    });

    it('refuses a batch past the monthly quota as a whole, and serves one that fits', async () => {
      const { projectId, url } = await issue({ monthlyQuota: 10 });
      proxy.resetStats();
      const over = await postJson(url, balanceBatch(11));
      expect(over.status).toBe(402);
      expect(errorCode(over.body)).toBe('ERR_QUOTA_EXCEEDED');
      expect(forwarded('eth_getBalance')).toBe(0);
      const fits = await postJson(url, balanceBatch(10));
      expect(fits.status).toBe(200);
      expect(forwarded('eth_getBalance')).toBe(10);
      const past = await rpc(url, 'eth_getBalance', [ALICE, 'latest']);
      expect(past.status).toBe(402);
      expect(errorCode(past.body)).toBe('ERR_QUOTA_EXCEEDED');
      expect((await flushed(projectId)).computeUnits).toBe(200);
    });
  });

  describe('relayer POSTs', () => {
    it('refuses 1,000 transfers that 100 credits cannot pay: 402, nothing stored, credits unchanged', async () => {
      const { projectId, secret } = await issue({}, 100);
      const open = await relayerStore.countOpen();
      // relayer_transfers costs 20 CU per transfer: 20,000 CU asked, 100 held.
      const res = await post('/v1/transfers', secret, { transfers: transfers(1_000) });
      expect(res.status).toBe(402);
      expect(relayerCode(res)).toBe('ERR_CREDITS_EXHAUSTED');
      expect(await relayerStore.countOpen()).toBe(open);
      expect((await flushed(projectId)).credits).toBe(100);
      // What the credits can pay is accepted and charged in full.
      const fits = await post('/v1/transfers', secret, { transfers: transfers(5) });
      expect(fits.status).toBe(202);
      expect(await relayerStore.countOpen()).toBe(open + 5);
      expect((await flushed(projectId)).credits).toBe(0);
      expect((await post('/v1/transfers', secret, { transfers: transfers(1) })).status).toBe(402);
    });

    it('lets only one of two concurrent POSTs that each fit the credits through', async () => {
      const { projectId, secret } = await issue({}, 100);
      const open = await relayerStore.countOpen();
      const answers = await Promise.all([
        post('/v1/transfers', secret, { transfers: transfers(5) }),
        post('/v1/transfers', secret, { transfers: transfers(5) }),
      ]);
      expect(answers.map((res) => res.status).sort()).toEqual([202, 402]);
      expect(await relayerStore.countOpen()).toBe(open + 5);
      expect((await flushed(projectId)).credits).toBe(0);
    });

    it('refuses a /send-ft batch past the monthly quota as a whole', async () => {
      const { projectId, secret } = await issue({ monthlyQuota: 10 });
      const open = await relayerStore.countOpen();
      const over = await post('/send-ft', secret, { transfers: transfers(11, 'send-ft') });
      expect(over.status).toBe(402);
      expect(relayerCode(over)).toBe('ERR_QUOTA_EXCEEDED');
      expect(await relayerStore.countOpen()).toBe(open);
      const fits = await post('/send-ft', secret, { transfers: transfers(10, 'send-ft') });
      expect(fits.status).toBe(202);
      expect(await relayerStore.countOpen()).toBe(open + 10);
      expect((await post('/send-ft', secret, { receiverId: ALICE, amount: '1' })).status).toBe(402);
      expect((await flushed(projectId)).requests).toBe(12);
    });
  });

  describe('method names', () => {
    it('meters 500 distinct unknown methods as one `other` row, shown so by the usage API', async () => {
      const { projectId, url } = await issue({});
      for (let batch = 0; batch < 5; batch++) {
        const items = Array.from({ length: 100 }, (_, i) => ({
          jsonrpc: '2.0',
          id: i,
          method: `x_unknown${batch * 100 + i}`,
        }));
        expect((await postJson(url, items)).status).toBe(200);
      }
      await gateway.tenancy!.parts.meter!.flush();
      const { count } = await database.store.db
        .selectFrom('usage_daily')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('project_id', '=', projectId)
        .executeTakeFirstOrThrow();
      // One label × the outcomes the node gave (an RPC error, here).
      expect(Number(count)).toBeLessThanOrEqual(2);
      const usage = await fetch(`${base}/admin/v1/usage?project=${projectId}&groupBy=method`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(usage.status).toBe(200);
      const rows = ((await usage.json()) as { rows?: unknown[] }).rows;
      expect(rows).toEqual([expect.objectContaining({ method: 'other', requests: 500 })]);
    });

    it('refuses a malformed method name with 400, JSON-RPC -32601 ERR_INVALID_METHOD_NAME, unforwarded', async () => {
      const { url } = await issue({});
      proxy.resetStats();
      for (const method of ['x'.repeat(65), 'a'.repeat(9_000), 'eth_call.x', 'eth call', 'eth_cäll']) {
        const res = await rpc(url, method);
        expect(res.status).toBe(400);
        const error = (res.body as { error: { code: number; message: string } }).error;
        expect(error.code).toBe(-32601);
        expect(errorCode(res.body)).toBe('ERR_INVALID_METHOD_NAME');
        // The answer quotes at most 64 characters of the name.
        expect(error.message.length).toBeLessThan(200);
        expect(forwarded(method)).toBe(0);
      }
      // In a batch only that item is refused; a 64-character name is well formed.
      const batch = await postJson(url, [
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
        { jsonrpc: '2.0', id: 2, method: 'x'.repeat(65) },
        { jsonrpc: '2.0', id: 3, method: 'x'.repeat(64) },
      ]);
      expect(batch.status).toBe(200);
      const [ok, bad, long] = batch.body as { result?: string; error?: { code: number } }[];
      expect(ok!.result).toBe('0x7a69');
      expect(errorCode(bad)).toBe('ERR_INVALID_METHOD_NAME');
      expect(errorCode(long)).not.toBe('ERR_INVALID_METHOD_NAME');
    });
  });
});

describe('two instances sharing PostgreSQL: the documented overdraw bound', () => {
  let anvil: AnvilNode;
  let database: TestDatabase;
  const gateways: Gateway[] = [];
  const bases: string[] = [];

  beforeAll(async () => {
    anvil = await startAnvil();
    database = await createTestDatabase('postgres');
    for (let i = 0; i < 2; i++) {
      const gateway = createGateway({
        logging: { level: 'silent' },
        storage: { database: database.options.database, schema: database.options.schema },
        tenancy: { enabled: true, usageFlushMs: 50, balanceRefreshMs: 50 },
        networks: { anvil: { upstreams: [{ url: anvil.url }] } },
      });
      gateways.push(gateway);
      bases.push((await gateway.listen(0, '127.0.0.1')).url);
    }
  });

  afterAll(async () => {
    for (const gateway of gateways) await gateway.close(1_000);
    await anvil?.stop();
    await database?.drop();
  });

  it('never lets N instances spend more than N × the credits, nor one pass a batch larger than them', async () => {
    const store = new SqlTenancyStore(database.store);
    const plan = await store.createPlan({ name: 'fleet' });
    const project = await store.createProject({ name: 'fleet', planId: plan.id, credits: 100 });
    const { secret } = await store.createKey({ projectId: project.id });
    const urls = bases.map((base) => `${base}/anvil/${secret}`);
    // Larger than the credits: refused by every instance, however stale its balance.
    for (const url of urls) expect((await postJson(url, balanceBatch(6))).status).toBe(402);
    let served = 0;
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(urls.map((url) => postJson(url, balanceBatch(5))));
      served += answers.filter((res) => res.status === 200).length;
    }
    for (const gateway of gateways) await gateway.tenancy!.parts.meter!.flush();
    // Each batch costs 100 CU: at most one per instance, (N − 1) × 100 overdrawn.
    expect(served).toBeGreaterThanOrEqual(1);
    expect(served).toBeLessThanOrEqual(2);
    expect((await store.getProject(project.id))?.credits).toBe(100 - served * 100);
  });
});
