/**
 * The dashboard's scoped reads over plain HTTP, on a real gateway (tenancy on SQLite, the relayer
 * API on, one real anvil): a project's API key opens a session of its own project only (usage,
 * limits, credits, keys, transfers); every way of asking for another project's data is refused
 * with a documented error; the admin sees every project; a revoked key ends its session; wrong
 * secrets lock the client's address out; and with the relayer off the transfer reads say so.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FAILURES } from '../src/dashboard/sign-in-guard.js';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import type { TenancyStore } from '../src/tenancy/model.js';
import { signIn } from './support/dashboard-client.js';

const TOKEN = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const adminToken = randomBytes(16).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'turnpike-dashboard-project-'));
let anvil: AnvilNode;
let gateway: Gateway;
let base: string;
let store: TenancyStore;
const a = { id: '', secret: '', keyId: '', transfer: '', request: '' };
const b = { id: '', secret: '', keyId: '', transfer: '', request: '' };

interface Answer {
  readonly status: number;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by path.
  readonly body: any;
  readonly headers: Headers;
}

async function get(path: string, cookie: string, extra: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { headers: { cookie, ...extra } });
  const text = await res.text();
  const body = res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined;
  return { status: res.status, text, body, headers: res.headers };
}

const code = (answer: Answer) => answer.body?.error?.data?.code;

async function postTransfer(secret: string, idempotencyKey: string) {
  const res = await fetch(`${base}/v1/transfers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': secret, 'idempotency-key': idempotencyKey },
    body: JSON.stringify({
      transfers: [{ token: 'USDC', to: `0x${randomBytes(20).toString('hex')}`, amount: '7' }],
    }),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as { ids: string[]; jobId?: string; requestId?: string };
}

beforeAll(async () => {
  anvil = await startAnvil();
  gateway = createGateway({
    logging: { level: 'silent' },
    storage: { database: join(dir, 'turnpike.db') },
    // Loopback is a trusted proxy, so tests can speak as other client addresses (X-Forwarded-For).
    server: { trustedProxies: ['127.0.0.1'] },
    tenancy: { enabled: true, adminToken, usageFlushMs: 100 },
    networks: { anvil: { upstreams: [{ id: 'anvil-0', url: anvil.url }] } },
    relayer: {
      enabled: true,
      engine: false,
      network: 'anvil',
      batchContract: '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0',
      tokens: { USDC: TOKEN },
      defaultToken: 'USDC',
    },
  });
  base = (await gateway.listen(0, '127.0.0.1')).url;
  store = gateway.tenancy!.parts.store!;
  const plan = await store.createPlan({
    name: 'starter',
    rateLimit: { perSecond: 50, burst: 100 },
    monthlyQuota: 100_000,
  });
  for (const [who, name] of [
    [a, 'acme'],
    [b, 'globex'],
  ] as const) {
    const project = await store.createProject({ name, planId: plan.id, credits: 5_000 });
    const issued = await store.createKey({ projectId: project.id, name: `${name} key` });
    Object.assign(who, { id: project.id, secret: issued.secret, keyId: issued.key.id });
    const answer = await postTransfer(issued.secret, `order-${name}`);
    who.transfer = answer.ids[0]!;
  }
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${base}/anvil/${a.secret}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'eth_blockNumber', params: [] }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
  await gateway.tenancy!.parts.meter!.flush();
}, 60_000);

afterAll(async () => {
  await gateway?.close(1_000);
  await anvil?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function session(secret: string): Promise<string> {
  const { status, cookie } = await signIn(base, secret);
  expect(status).toBe(303);
  return cookie;
}

describe('the project view', () => {
  it("opens with a project's API key: its own usage, limits, credits and keys; the cookie holds ids, not the key", async () => {
    const { status, setCookie, cookie } = await signIn(base, a.secret);
    expect(status).toBe(303);
    expect(setCookie).toMatch(
      new RegExp(
        `^turnpike_dashboard=p~${a.id}~${a.keyId}\\.\\d+\\.[\\w-]+; Path=/dashboard; Max-Age=\\d+; HttpOnly; SameSite=Strict$`,
      ),
    );
    expect(setCookie).not.toContain(a.secret);
    expect(setCookie).not.toContain(a.secret.slice(3));

    const page = await get('/dashboard', cookie);
    expect(page.text).toContain('id="project-name"');
    expect(page.text).not.toContain('id="upstreams"');

    const me = await get('/dashboard/api/session', cookie);
    expect(me.body).toMatchObject({ scope: 'project', project: { id: a.id, name: 'acme' }, keyId: a.keyId });

    const overview = await get('/dashboard/api/project', cookie);
    expect(overview.status).toBe(200);
    expect(overview.body).toMatchObject({
      project: { id: a.id, name: 'acme' },
      plan: { name: 'starter', rateLimit: { perSecond: 50, burst: 100 }, monthlyQuota: 100_000 },
      keys: [{ id: a.keyId, prefix: a.secret.slice(0, 8), revokedAt: null }],
    });
    expect(overview.body.credits).toBeLessThanOrEqual(5_000);
    // 3 RPC calls and the relayer POST (one request per stored transfer).
    expect(overview.body.month.requests).toBe(4);
    expect(overview.body.today.byNetworkMethod).toContainEqual(
      expect.objectContaining({ network: 'anvil', method: 'eth_blockNumber', requests: 3 }),
    );
    expect(overview.body.days).toHaveLength(1);
    expect(overview.text).not.toContain(a.secret);
    expect(overview.text).not.toContain(b.id);

    const transfers = await get('/dashboard/api/transfers', cookie);
    expect(transfers.body.transfers.map((t: { id: string }) => t.id)).toStrictEqual([a.transfer]);
    const found = await get('/dashboard/api/transfers/search?q=order-acme', cookie);
    expect(found.body).toMatchObject({
      matchedBy: 'idempotencyKey',
      transfers: [{ id: a.transfer, state: 'accepted' }],
    });
    expect(found.body.transfers[0].timeline).toMatchObject([{ step: 'accepted' }]);
  });

  it('sends a first load of under 100 KB gzip, and says how much', async () => {
    const cookie = await session(a.secret);
    const gzip = { 'accept-encoding': 'gzip' };
    const page = await fetch(`${base}/dashboard`, { headers: { cookie, ...gzip } });
    const html = await page.text();
    let wire = Number(page.headers.get('content-length'));
    let plain = Buffer.byteLength(html);
    const paths = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    // uPlot's script and style, the shared style, the project view's script, the transfers' script and style.
    expect(paths).toHaveLength(6);
    for (const path of paths) {
      const res = await fetch(`${base}${path}`, { headers: gzip });
      expect(res.status).toBe(200);
      wire += Number(res.headers.get('content-length'));
      plain += (await res.arrayBuffer()).byteLength;
    }
    // The figure docs/dashboard.md quotes.
    console.log(`project view first load: ${wire} bytes gzip (${plain} uncompressed)`);
    expect(wire).toBeGreaterThan(0);
    expect(wire).toBeLessThan(100_000);
  });

  it("refuses another project's data however it is asked for", async () => {
    const cookie = await session(a.secret);
    for (const path of [
      `/dashboard/api/project?project=${b.id}`,
      `/dashboard/api/transfers?project=${b.id}`,
    ]) {
      const answer = await get(path, cookie);
      expect(answer.status, path).toBe(403);
      expect(code(answer)).toBe('ERR_DASHBOARD_FORBIDDEN');
    }
    const other = await get(`/dashboard/api/transfers/search?q=order-globex&project=${b.id}`, cookie);
    expect(code(other)).toBe('ERR_DASHBOARD_FORBIDDEN');
    // B's transfer by id, request id or idempotency key: answered as if it did not exist.
    const record = (await get(`/dashboard/api/transfers/search?q=${b.transfer}`, await session(adminToken)))
      .body.transfers[0];
    for (const q of [b.transfer, record.requestId, 'order-globex']) {
      const answer = await get(`/dashboard/api/transfers/search?q=${q}`, cookie);
      expect(answer.status, q).toBe(404);
      expect(code(answer)).toBe('ERR_DASHBOARD_NOT_FOUND');
      expect(answer.text).not.toContain(b.id);
    }
    // The live view shows every project: admin only.
    for (const path of ['/dashboard/api/snapshot', '/dashboard/api/stream']) {
      const answer = await get(path, cookie);
      expect(answer.status, path).toBe(403);
      expect(code(answer)).toBe('ERR_DASHBOARD_FORBIDDEN');
    }
    // The cookie's scope turned into B's (or the admin's): its signature no longer holds.
    const [, value] = cookie.split('=');
    const [, expires, signature] = value!.split('.');
    for (const scope of [`p~${b.id}~${b.keyId}`, `p~${b.id}~${a.keyId}`, 'admin']) {
      const forged = await get(
        '/dashboard/api/project',
        `turnpike_dashboard=${scope}.${expires}.${signature}`,
      );
      expect(forged.status, scope).toBe(401);
      expect(code(forged)).toBe('ERR_DASHBOARD_UNAUTHORIZED');
    }
  });

  it('lets the admin read every project, and one with project=', async () => {
    const cookie = await session(adminToken);
    expect((await get('/dashboard/api/session', cookie)).body).toMatchObject({
      scope: 'admin',
      relayer: true,
    });
    const all = await get('/dashboard/api/transfers', cookie);
    expect(all.body.transfers.map((t: { projectId: string }) => t.projectId).sort()).toStrictEqual(
      [a.id, b.id].sort(),
    );
    const onlyB = await get(`/dashboard/api/transfers?project=${b.id}`, cookie);
    expect(onlyB.body.transfers.map((t: { id: string }) => t.id)).toStrictEqual([b.transfer]);
    const found = await get('/dashboard/api/transfers/search?q=order-globex', cookie);
    expect(found.body.transfers).toMatchObject([{ id: b.transfer, projectId: b.id }]);
    const byId = await get(`/dashboard/api/transfers/search?q=${a.transfer}`, cookie);
    expect(byId.body).toMatchObject({ matchedBy: 'transferId', transfers: [{ id: a.transfer }] });
    const overview = await get(`/dashboard/api/project?project=${b.id}`, cookie);
    expect(overview.body.project).toMatchObject({ id: b.id, name: 'globex' });
    expect(overview.body.month.requests).toBe(1);
    // Without project= the admin has no one project to show; a bad query is refused precisely.
    for (const [path, expected] of [
      ['/dashboard/api/project', 'ERR_DASHBOARD_INVALID'],
      ['/dashboard/api/project?project=prj_doesNotExist', 'ERR_DASHBOARD_NOT_FOUND'],
      ['/dashboard/api/project?project=../admin', 'ERR_DASHBOARD_INVALID'],
      ['/dashboard/api/transfers?status=lost', 'ERR_DASHBOARD_INVALID'],
      ['/dashboard/api/transfers?limit=1000', 'ERR_DASHBOARD_INVALID'],
      ['/dashboard/api/transfers/search?q=', 'ERR_DASHBOARD_INVALID'],
      ['/dashboard/api/transfers/search?q=no-such-key', 'ERR_DASHBOARD_NOT_FOUND'],
    ] as const) {
      const answer = await get(path, cookie);
      expect(code(answer), path).toBe(expected);
    }
    expect((await get('/dashboard/api/transfers', '')).status).toBe(401);
  });

  it('ends a project session when its key is revoked', async () => {
    const second = await store.createKey({ projectId: a.id, name: 'second' });
    const cookie = await session(second.secret);
    expect((await get('/dashboard/api/project', cookie)).status).toBe(200);
    await store.revokeKey(second.key.id);
    await gateway.tenancy!.changed();
    const after = await get('/dashboard/api/project', cookie);
    expect(after.status).toBe(401);
    expect(code(after)).toBe('ERR_DASHBOARD_UNAUTHORIZED');
    const again = await signIn(base, second.secret);
    expect(again.status).toBe(401);
  });
});

describe('sign-in', () => {
  const from = (address: string, secret: string) =>
    fetch(`${base}/dashboard/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address },
      body: new URLSearchParams({ token: secret }).toString(),
      redirect: 'manual',
    });

  it('refuses an unknown key and a wrong token, then locks the address out, the right token too', async () => {
    const unknownKey = `tp_${'A'.repeat(32)}`;
    const badKey = await from('10.1.0.1', unknownKey);
    expect(badKey.status).toBe(401);
    expect(badKey.headers.get('set-cookie')).toBeNull();
    expect(await badKey.text()).toContain('That is not a valid API key.');
    for (let i = 1; i < MAX_FAILURES; i++) {
      const wrong = await from('10.1.0.1', `wrong-token-${i}-padding`);
      expect(wrong.status).toBe(401);
      await wrong.arrayBuffer();
    }
    for (const secret of [adminToken, a.secret]) {
      const locked = await from('10.1.0.1', secret);
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(locked.headers.get('set-cookie')).toBeNull();
      expect(await locked.text()).toContain('data-code="ERR_DASHBOARD_LOCKED"');
    }
    // Another address is not held back.
    const other = await from('10.1.0.2', adminToken);
    expect(other.status).toBe(303);
  });
});

describe('with the relayer off', () => {
  it('answers the transfer reads with ERR_DASHBOARD_RELAYER_OFF', async () => {
    const plain = createGateway({
      logging: { level: 'silent' },
      tenancy: { adminToken },
      networks: { anvil: { upstreams: [{ id: 'a', url: anvil.url }] } },
    });
    const url = (await plain.listen(0, '127.0.0.1')).url;
    try {
      const { cookie } = await signIn(url, adminToken);
      for (const path of ['/dashboard/api/transfers', '/dashboard/api/transfers/search?q=order-1']) {
        const res = await fetch(`${url}${path}`, { headers: { cookie } });
        expect(res.status).toBe(404);
        expect(((await res.json()) as { error: { data: { code: string } } }).error.data.code).toBe(
          'ERR_DASHBOARD_RELAYER_OFF',
        );
      }
      const page = await (await fetch(`${url}/dashboard`, { headers: { cookie } })).text();
      expect(page).toContain('id="transfer-search"');
    } finally {
      await plain.close(1_000);
    }
  });
});
