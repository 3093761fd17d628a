/**
 * The tenancy layer in front of a real anvil, with keys in a real SQLite file: every refusal
 * path returns its documented code and status, rate-limit headers, metering that adds up
 * exactly (also across a graceful restart), and revocation seen without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnpikeConfigInput } from '../src/config/schema.js';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import type { Project } from '../src/tenancy/model.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { postJson, rpc } from './support/rpc.js';

let anvil: AnvilNode;
let database: TestDatabase;
let store: SqlTenancyStore;
let gateway: Gateway;
let base: string;
const secrets: Record<string, string> = {};
const projects: Record<string, Project> = {};

function config(): TurnpikeConfigInput {
  return {
    logging: { level: 'silent' },
    storage: { database: database.options.database },
    tenancy: { enabled: true, usageFlushMs: 50, changePollMs: 100, balanceRefreshMs: 100 },
    networks: {
      anvil: { upstreams: [{ url: anvil.url }] },
      other: { upstreams: [{ url: anvil.url }] },
      open: {
        upstreams: [{ url: anvil.url }],
        access: { keyless: true, keylessRateLimit: { perSecond: 0.5, burst: 2 } },
      },
    },
  };
}

async function startGateway(): Promise<void> {
  gateway = createGateway(config());
  const { url } = await gateway.listen(0, '127.0.0.1');
  base = url;
}

async function issue(name: string, planId: string, credits?: number): Promise<void> {
  const project = await store.createProject({ name, planId, ...(credits !== undefined && { credits }) });
  projects[name] = project;
  secrets[name] = (await store.createKey({ projectId: project.id, name })).secret;
}

function code(body: unknown): string | undefined {
  return (body as { error?: { data?: { code?: string } } }).error?.data?.code;
}

async function usageOf(projectId: string): Promise<number> {
  const [row] = await store.queryUsage({ projectId, groupBy: [] });
  return row?.requests ?? 0;
}

beforeAll(async () => {
  anvil = await startAnvil();
  database = await createTestDatabase('sqlite');
  store = new SqlTenancyStore(database.store);
  const open = await store.createPlan({ name: 'open' });
  const narrow = await store.createPlan({
    name: 'narrow',
    allowedNetworks: ['anvil'],
    deniedMethods: ['eth_getBalance'],
  });
  const limited = await store.createPlan({ name: 'limited', rateLimit: { perSecond: 0.2, burst: 3 } });
  const quota = await store.createPlan({ name: 'quota', monthlyQuota: 3, quotaUnit: 'requests' });
  const perMethod = await store.createPlan({
    name: 'per-method',
    rateLimit: { perSecond: 0.2, burst: 2 },
    ratePerMethod: true,
  });
  await issue('per-method', perMethod.id);
  await issue('main', open.id);
  await issue('narrow', narrow.id);
  await issue('limited', limited.id);
  await issue('quota', quota.id);
  // eth_chainId costs 5 compute units: 4 fit in 20 credits.
  await issue('prepaid', open.id, 20);
  await startGateway();
});

afterAll(async () => {
  await gateway?.close(1_000);
  await database?.drop();
  await anvil?.stop();
});

describe('authentication', () => {
  it('refuses a request without a key: 401 ERR_AUTH_MISSING_KEY with WWW-Authenticate', async () => {
    const res = await rpc(`${base}/anvil`, 'eth_chainId');
    expect(res.status).toBe(401);
    expect(code(res.body)).toBe('ERR_AUTH_MISSING_KEY');
    expect((res.body as { error: { code: number } }).error.code).toBe(-32001);
    expect(res.headers['www-authenticate']).toContain('Bearer');
  });

  it('refuses an unknown key with 401 ERR_AUTH_INVALID_KEY', async () => {
    for (const key of ['tp_0000000000000000000000000000000A', 'not-a-key']) {
      const res = await rpc(`${base}/anvil/${key}`, 'eth_chainId');
      expect(res.status).toBe(401);
      expect(code(res.body)).toBe('ERR_AUTH_INVALID_KEY');
    }
  });

  it('accepts the key in the path, X-Api-Key and Authorization: Bearer', async () => {
    const key = secrets.main!;
    const answers = await Promise.all([
      rpc(`${base}/anvil/${key}`, 'eth_chainId'),
      rpc(`${base}/anvil`, 'eth_chainId', [], { headers: { 'x-api-key': key } }),
      rpc(`${base}/anvil`, 'eth_chainId', [], { headers: { authorization: `Bearer ${key}` } }),
    ]);
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect((res.body as { result: string }).result).toBe('0x7a69');
    }
    expect(answers[0]!.headers['server-timing']).toMatch(/auth;dur=[\d.]+/);
  });

  it('serves a keyless network without a key, limited per client IP with Retry-After', async () => {
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof rpc>> | undefined;
    for (let i = 0; i < 4; i++) {
      const res = await rpc(`${base}/open`, 'eth_chainId');
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses).toContain(429);
    expect(code(refused!.body)).toBe('ERR_RATE_LIMITED');
    expect(Number(refused!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused!.headers['ratelimit-limit']).toBe('2');
  });
});

describe('plans', () => {
  it('refuses a network outside the plan with 403 ERR_NETWORK_NOT_ALLOWED', async () => {
    const res = await rpc(`${base}/other/${secrets.narrow}`, 'eth_chainId');
    expect(res.status).toBe(403);
    expect(code(res.body)).toBe('ERR_NETWORK_NOT_ALLOWED');
  });

  it('refuses a denied method with 403 ERR_METHOD_NOT_ALLOWED, in a batch only that item', async () => {
    const single = await rpc(`${base}/anvil/${secrets.narrow}`, 'eth_getBalance', [
      '0x0000000000000000000000000000000000000000',
      'latest',
    ]);
    expect(single.status).toBe(403);
    expect(code(single.body)).toBe('ERR_METHOD_NOT_ALLOWED');
    const batch = await postJson(`${base}/anvil/${secrets.narrow}`, [
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'eth_getBalance',
        params: ['0x0000000000000000000000000000000000000000', 'latest'],
      },
    ]);
    expect(batch.status).toBe(200);
    const items = batch.body as { id: number; result?: string }[];
    expect(items[0]!.result).toBe('0x7a69');
    expect(code(items[1])).toBe('ERR_METHOD_NOT_ALLOWED');
  });

  it('rate limits a key: the burst passes, then 429 with RateLimit-* and Retry-After', async () => {
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await rpc(`${base}/anvil/${secrets.limited}`, 'eth_chainId'));
    expect(results.map((res) => res.status)).toEqual([200, 200, 200, 429, 429]);
    expect(results[0]!.headers['ratelimit-limit']).toBe('3');
    expect(results[0]!.headers['ratelimit-remaining']).toBe('2');
    expect(results[2]!.headers['ratelimit-remaining']).toBe('0');
    const refused = results[3]!;
    expect(code(refused.body)).toBe('ERR_RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
  });

  it('with ratePerMethod, limits each method of a key on its own', async () => {
    const url = `${base}/anvil/${secrets['per-method']}`;
    const statuses = async (method: string) => {
      const out = [];
      for (let i = 0; i < 3; i++) out.push((await rpc(url, method)).status);
      return out;
    };
    expect(await statuses('eth_chainId')).toEqual([200, 200, 429]);
    // eth_chainId's bucket is empty; eth_blockNumber has its own.
    expect(await statuses('eth_blockNumber')).toEqual([200, 200, 429]);
  });

  it('refuses past the monthly quota with 402 ERR_QUOTA_EXCEEDED', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await rpc(`${base}/anvil/${secrets.quota}`, 'eth_chainId'));
    expect(statuses.map((res) => res.status)).toEqual([200, 200, 200, 402, 402]);
    expect(code(statuses[3]!.body)).toBe('ERR_QUOTA_EXCEEDED');
  });

  it('refuses a request the prepaid credits cannot pay with 402 ERR_CREDITS_EXHAUSTED, and debits them', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await rpc(`${base}/anvil/${secrets.prepaid}`, 'eth_chainId')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 402, 402]);
    const projectId = projects.prepaid!.id;
    await expect.poll(() => usageOf(projectId)).toBe(6);
    expect((await store.getProject(projectId))?.credits).toBe(0);
    // The one prepaid project has a credits-left series (the others have no prepaid limit).
    const creditsLeft = async () =>
      (await (await fetch(`${base}/metrics`)).text())
        .split('\n')
        .filter((line) => line.startsWith('turnpike_project_credits_left{'));
    await expect.poll(creditsLeft).toEqual([`turnpike_project_credits_left{project="${projectId}"} 0`]);
    // A top-up (from the admin API or CLI of any instance) is honoured within the poll interval.
    await store.topUpCredits(projectId, 10, 'test');
    await expect
      .poll(async () => (await rpc(`${base}/anvil/${secrets.prepaid}`, 'eth_chainId')).status)
      .toBe(200);
    // 10 topped up, one eth_chainId (5 compute units) spent.
    await expect.poll(creditsLeft).toEqual([`turnpike_project_credits_left{project="${projectId}"} 5`]);
  });
});

describe('metering and changes', () => {
  it('meters every item of every request exactly, across a graceful restart', async () => {
    const projectId = projects.main!.id;
    await expect.poll(() => usageOf(projectId), { timeout: 5_000 }).toBeGreaterThan(0);
    const before = await usageOf(projectId);
    const url = `${base}/anvil/${secrets.main}`;
    const batch = Array.from({ length: 10 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'eth_blockNumber',
    }));
    await Promise.all(Array.from({ length: 30 }, () => postJson(url, batch)));
    await Promise.all(Array.from({ length: 50 }, () => rpc(url, 'eth_chainId')));
    // Restart at once: the close must write what the timer has not.
    await gateway.close(1_000);
    expect(await usageOf(projectId)).toBe(before + 350);
    const rows = await store.queryUsage({ projectId, groupBy: ['method', 'network', 'outcome'] });
    const blockNumber = rows.find((row) => row.method === 'eth_blockNumber');
    expect(blockNumber).toMatchObject({ network: 'anvil', outcome: 'ok', requests: 300, computeUnits: 3000 });
    await startGateway();
    await Promise.all(Array.from({ length: 25 }, () => rpc(`${base}/anvil/${secrets.main}`, 'eth_chainId')));
    await gateway.close(1_000);
    expect(await usageOf(projectId)).toBe(before + 375);
    await startGateway();
  });

  it('stops a revoked key at once here, and within the poll interval when revoked elsewhere', async () => {
    const project = projects.main!;
    const first = await store.createKey({ projectId: project.id });
    const second = await store.createKey({ projectId: project.id });
    expect((await rpc(`${base}/anvil/${first.secret}`, 'eth_chainId')).status).toBe(200);
    expect((await rpc(`${base}/anvil/${second.secret}`, 'eth_chainId')).status).toBe(200);
    // Through this process's tenancy layer (what the admin API does).
    await store.revokeKey(first.key.id);
    await gateway.tenancy!.changed();
    const refused = await rpc(`${base}/anvil/${first.secret}`, 'eth_chainId');
    expect(refused.status).toBe(401);
    expect(code(refused.body)).toBe('ERR_AUTH_INVALID_KEY');
    // Another writer (the CLI, another instance): seen by polling the change counter.
    const elsewhere = new SqlTenancyStore(database.store);
    await elsewhere.revokeKey(second.key.id);
    await expect
      .poll(async () => (await rpc(`${base}/anvil/${second.secret}`, 'eth_chainId')).status, {
        timeout: 5_000,
        interval: 50,
      })
      .toBe(401);
  });

  it('exports tenancy metrics', async () => {
    await rpc(`${base}/anvil`, 'eth_chainId');
    await rpc(`${base}/anvil/${secrets.quota}`, 'eth_chainId');
    await rpc(`${base}/anvil/${secrets.quota}`, 'eth_chainId');
    await expect.poll(() => gateway.tenancy!.parts.meter!.stats.flushes).toBeGreaterThan(0);
    const res = await fetch(`${base}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/turnpike_auth_failures_total\{reason="missing"\} [1-9]/);
    expect(text).toMatch(/turnpike_usage_flushes_total\{result="ok"\} [1-9]/);
    expect(text).toMatch(/turnpike_key_cache_entries [1-9]/);
    expect(text).toMatch(
      /turnpike_requests_total\{network="anvil",method="eth_chainId",status="ERR_QUOTA_EXCEEDED"\} 2/,
    );
  });
});
