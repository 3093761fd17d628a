/**
 * The admin API over real HTTP, on a gateway with tenancy on, over SQLite and PostgreSQL, in
 * front of a real anvil: auth, the plan → project → key lifecycle seen by the JSON-RPC route,
 * rotation, credits, validation, errors, usage totals and the OpenAPI document.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerTokenCheck, resolveAdminToken } from '../src/admin/admin-auth.js';
import { ADMIN_ROUTES } from '../src/admin/routes.js';
import {
  issuedKeySchema,
  keySchema,
  planSchema,
  projectSchema,
  rotatedKeySchema,
  usageSchema,
} from '../src/admin/schemas.js';
import { configSchema } from '../src/config/schema.js';
import type { TestDialect } from './support/databases.js';
import { type AdminResponse, startTenancyGateway, type TenancyGateway } from './support/tenancy-gateway.js';

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

function expectError(res: AdminResponse, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.body.error.message).toEqual(expect.any(String));
}

describe('admin token', () => {
  const config = configSchema.parse({ networks: { eth: { upstreams: [{ url: 'http://127.0.0.1:1' }] } } });
  const withToken = configSchema.parse({ ...config, tenancy: { adminToken: 'c'.repeat(20) } });

  it('comes from TURNPIKE_ADMIN_TOKEN first, then the config; a short one stops the start', () => {
    expect(resolveAdminToken(config, {})).toBeUndefined();
    expect(resolveAdminToken(withToken, {})).toBe('c'.repeat(20));
    expect(resolveAdminToken(withToken, { TURNPIKE_ADMIN_TOKEN: '' })).toBe('c'.repeat(20));
    expect(resolveAdminToken(withToken, { TURNPIKE_ADMIN_TOKEN: 'e'.repeat(16) })).toBe('e'.repeat(16));
    expect(() => resolveAdminToken(config, { TURNPIKE_ADMIN_TOKEN: 'short' })).toThrow(/at least 16/);
  });

  it('accepts only the exact bearer token', () => {
    const check = bearerTokenCheck('t'.repeat(24));
    expect(check(`Bearer ${'t'.repeat(24)}`)).toBe(true);
    expect(check(`bearer ${'t'.repeat(24)} `)).toBe(true);
    expect(check(`Bearer ${'t'.repeat(23)}`)).toBe(false);
    expect(check(`Basic ${'t'.repeat(24)}`)).toBe(false);
    expect(check(undefined)).toBe(false);
  });
});

function adminApiSuite(dialect: TestDialect): void {
  let tp: TenancyGateway;

  beforeAll(async () => {
    tp = await startTenancyGateway({ dialect });
  });

  afterAll(async () => {
    await tp?.close();
  });

  /** A plan, a project on it and a key of that project. */
  async function setUp(project: { credits?: number } = {}) {
    const plan = await tp.admin('POST', '/plans', { body: { name: unique('plan') } });
    expect(plan.status).toBe(201);
    const created = await tp.admin('POST', '/projects', {
      body: { name: unique('project'), plan: plan.body.name, ...project },
    });
    expect(created.status).toBe(201);
    const issued = await tp.admin('POST', '/keys', { body: { project: created.body.name, name: 'main' } });
    expect(issued.status).toBe(201);
    return {
      plan: plan.body,
      project: created.body,
      key: issued.body.key,
      secret: issued.body.secret as string,
    };
  }

  it('refuses a missing or wrong token with 401 and WWW-Authenticate, on every path', async () => {
    for (const path of ['/plans', '/openapi.json', '/no-such-route']) {
      for (const authorization of [null, 'Bearer wrong-token-wrong-token', `Basic ${tp.adminToken}`]) {
        const res = await tp.admin('GET', path, { authorization });
        expectError(res, 401, 'ERR_ADMIN_UNAUTHORIZED');
        expect(res.headers.get('www-authenticate')).toBe('Bearer realm="turnpike-admin"');
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
    }
  });

  it('refuses an Authorization of ~16 KB of blanks (quadratic for the old expression) with 401', async () => {
    // As large as the default 16 KB head limit admits; `x…y` keeps the blanks inside the value.
    const res = await tp.admin('GET', '/plans', { authorization: `Bearer x${' '.repeat(16_000)}y` });
    expectError(res, 401, 'ERR_ADMIN_UNAUTHORIZED');
    expect((await tp.admin('GET', '/plans')).status).toBe(200);
  });

  it('answers every /admin/ preflight alike, so it does not tell which routes exist', async () => {
    const preflight = async (path: string, origin: string | undefined) => {
      const res = await fetch(`${tp.baseUrl}${path}`, {
        method: 'OPTIONS',
        headers: {
          ...(origin !== undefined && { origin }),
          'access-control-request-method': 'DELETE',
          'access-control-request-headers': 'authorization',
          'x-request-id': 'preflight-1',
        },
      });
      const headers = [...res.headers]
        .filter(([name]) => name !== 'date')
        .map(([name, value]) => [
          name,
          name === 'server-timing' ? value.replace(/dur=[\d.]+/, 'dur=…') : value,
        ]);
      return { status: res.status, headers, body: await res.text() };
    };
    const paths = [
      '/admin/v1/plans',
      '/admin/v1/keys/key_nope/rotate',
      '/admin/v1/no-such-route',
      '/admin/v1/plans/a/b',
      '/admin/v2/anything',
    ];
    for (const origin of ['https://console.example', undefined]) {
      const [first, ...others] = await Promise.all(paths.map((path) => preflight(path, origin)));
      expect(first?.status).toBe(204);
      for (const [i, other] of others.entries())
        expect({ path: paths[i + 1], ...other }).toEqual({ path: paths[i + 1], ...first });
    }
    const withOrigin = await preflight('/admin/v1/no-such-route', 'https://console.example');
    expect(Object.fromEntries(withOrigin.headers)).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'DELETE, GET, PATCH, POST, OPTIONS',
      'cache-control': 'no-store',
    });
    expect(Object.fromEntries(withOrigin.headers).allow).toBeUndefined();
  });

  it('runs the lifecycle: plan, project, key (secret once), JSON-RPC, revoke stops the key at once', async () => {
    const plan = await tp.admin('POST', '/plans', {
      body: {
        name: unique('growth'),
        rateLimit: { perSecond: 500, burst: 500 },
        deniedMethods: ['eth_sign'],
      },
    });
    expect(plan.status).toBe(201);
    expect(plan.headers.get('content-type')).toMatch(/^application\/json/);
    expect(plan.headers.get('cache-control')).toBe('no-store');
    expect(planSchema.parse(plan.body)).toMatchObject({ rateLimit: { perSecond: 500, burst: 500 } });

    const project = await tp.admin('POST', '/projects', {
      body: { name: unique('acme'), plan: plan.body.id },
    });
    expect(project.status).toBe(201);
    expect(projectSchema.parse(project.body).planId).toBe(plan.body.id);

    const issued = await tp.admin('POST', '/keys', { body: { project: project.body.name, name: 'backend' } });
    expect(issued.status).toBe(201);
    const { key, secret } = issuedKeySchema.parse(issued.body);
    expect(key).toMatchObject({ projectId: project.body.id, name: 'backend' });
    expect(secret.startsWith(key.prefix)).toBe(true);

    const read = await tp.admin('GET', `/keys/${key.id}`);
    expect(read.status).toBe(200);
    expect(keySchema.parse(read.body)).toEqual(key);
    const listed = await tp.admin('GET', `/keys?project=${encodeURIComponent(project.body.name)}`);
    expect(listed.body.keys).toEqual([key]);
    for (const res of [read, listed]) expect(res.text).not.toContain(secret);

    const call = await tp.rpc(secret);
    expect(call.status).toBe(200);
    expect(call.body.result).toBe('0x7a69');

    const revoked = await tp.admin('POST', `/keys/${key.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(keySchema.parse(revoked.body).revokedAt).toEqual(expect.any(Number));
    const refused = await tp.rpc(secret);
    expect(refused.status).toBe(401);
    expect(refused.body.error.data.code).toBe('ERR_AUTH_INVALID_KEY');

    // Revoking again (also through DELETE) keeps the first revocation.
    const again = await tp.admin('DELETE', `/keys/${key.id}`);
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
  });

  it('rotates a key: with a grace period both keys work, without one the old key stops', async () => {
    const { key, secret } = await setUp();
    const rotated = await tp.admin('POST', `/keys/${key.id}/rotate`, { body: { graceSeconds: 300 } });
    expect(rotated.status).toBe(201);
    const body = rotatedKeySchema.parse(rotated.body);
    expect(body.key.rotatedFrom).toBe(key.id);
    expect(body.previous.id).toBe(key.id);
    expect(body.previous.expiresAt! - Date.now()).toBeGreaterThan(290_000);
    expect((await tp.rpc(secret)).status).toBe(200);
    expect((await tp.rpc(body.secret)).status).toBe(200);

    const now = await tp.admin('POST', `/keys/${body.key.id}/rotate`);
    expect(now.status).toBe(201);
    expect((await tp.rpc(body.secret)).status).toBe(401);
    expect((await tp.rpc(now.body.secret)).status).toBe(200);
    // A revoked key cannot be rotated.
    expectError(await tp.admin('POST', `/keys/${body.key.id}/rotate`), 409, 'ERR_ADMIN_CONFLICT');
  });

  it('tops credits up and down, and the project shows the balance', async () => {
    const { project } = await setUp({ credits: 100 });
    expect(project.credits).toBe(100);
    const up = await tp.admin('POST', `/projects/${project.name}/credits`, {
      body: { amount: 50, reason: 'invoice 7' },
    });
    expect(up.status).toBe(200);
    expect(up.body.credits).toBe(150);
    const down = await tp.admin('POST', `/projects/${project.id}/credits`, { body: { amount: -30 } });
    expect(down.body.credits).toBe(120);
    expect((await tp.admin('GET', `/projects/${project.id}`)).body.credits).toBe(120);
    const listed = await tp.admin('GET', '/projects');
    expect(listed.body.projects).toContainEqual(expect.objectContaining({ id: project.id, credits: 120 }));
  });

  it('updates plans and projects; null clears a plan field', async () => {
    const created = await tp.admin('POST', '/plans', {
      body: { name: unique('pro'), monthlyQuota: 1000, allowedNetworks: ['anvil'], ratePerMethod: true },
    });
    const patched = await tp.admin('PATCH', `/plans/${created.body.name}`, {
      body: { monthlyQuota: null, allowedNetworks: null, ratePerMethod: null, computeUnits: { eth_call: 5 } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).not.toHaveProperty('monthlyQuota');
    expect(patched.body).not.toHaveProperty('allowedNetworks');
    expect(patched.body).toMatchObject({ ratePerMethod: false, computeUnits: { eth_call: 5 } });
    expect((await tp.admin('GET', `/plans/${created.body.id}`)).body).toEqual(patched.body);
    expect((await tp.admin('GET', '/plans')).body.plans).toContainEqual(patched.body);

    const { project } = await setUp();
    const renamed = unique('renamed');
    const moved = await tp.admin('PATCH', `/projects/${project.id}`, {
      body: { name: renamed, plan: created.body.name },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id: project.id, name: renamed, planId: created.body.id });
  });

  it('answers 400 with every invalid field listed', async () => {
    const cases: { method: string; path: string; body?: unknown; rawBody?: string; issues: string[] }[] = [
      {
        method: 'POST',
        path: '/plans',
        body: { name: 'x', colour: 'red', burst: 1 },
        issues: ['colour', 'burst'],
      },
      {
        method: 'POST',
        path: '/plans',
        body: { name: 7, ratePerMethod: 'yes' },
        issues: ['name', 'ratePerMethod'],
      },
      {
        method: 'POST',
        path: '/plans',
        body: { name: 'x', rateLimit: { perSecond: -1, burst: 0.5 }, computeUnits: { eth_call: -2 } },
        issues: ['rateLimit.perSecond', 'rateLimit.burst', 'computeUnits.eth_call'],
      },
      {
        method: 'POST',
        path: '/plans',
        body: { name: 'x', allowedMethods: ['ok', ''] },
        issues: ['allowedMethods[1]'],
      },
      { method: 'POST', path: '/plans', rawBody: '{"name": "x",', issues: ['(root)'] },
      { method: 'POST', path: '/plans', issues: ['(root)'] },
      { method: 'PATCH', path: '/plans/any', body: { name: null }, issues: ['name'] },
      { method: 'POST', path: '/projects', body: { name: 'p', plan: unique('missing') }, issues: ['plan'] },
      { method: 'POST', path: '/keys', body: { project: unique('missing') }, issues: ['project'] },
      { method: 'POST', path: '/keys/any/revoke', body: { now: true }, issues: ['(root)'] },
      { method: 'POST', path: '/projects/any/credits', body: { amount: 1.5 }, issues: ['amount'] },
      { method: 'GET', path: '/keys?colour=red', issues: ['colour'] },
      { method: 'GET', path: '/usage?groupBy=day,colour&from=2024-02-30', issues: ['from', 'groupBy[1]'] },
      { method: 'GET', path: '/usage?from=2024-03-02&to=2024-03-01', issues: ['to'] },
    ];
    for (const { method, path, issues, ...request } of cases) {
      const res = await tp.admin(method, path, request);
      expectError(res, 400, 'ERR_ADMIN_INVALID');
      const paths = (res.body.error.issues as { path: string; message: string }[]).map((issue) => issue.path);
      expect({ method, path, paths: paths.sort() }).toEqual({ method, path, paths: [...issues].sort() });
    }
  });

  it('answers 95,000 unknown fields with a small 400, and lists 20 of 999 with their count', async () => {
    const fields = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`f${i}`, 1]));
    const body = { name: unique('plan'), ...fields(95_000) };
    expect(JSON.stringify(body).length).toBeGreaterThan(1_000_000);
    for (const [path, request] of [
      ['/plans', { body }],
      ['/plans', { body: { name: unique('plan'), rateLimit: fields(95_000) } }],
      ['/projects', { body }],
    ] as const) {
      const huge = await tp.admin('POST', path, request);
      expectError(huge, 400, 'ERR_ADMIN_INVALID');
      expect(huge.text.length).toBeLessThan(1_000);
      expect(huge.body.error).toMatchObject({
        issueCount: 1,
        issues: [{ path: '(root)', message: expect.stringMatching(/^an object has 9500[01] fields/) }],
      });
    }
    const wide = await tp.admin('POST', '/plans', { body: { name: unique('plan'), ...fields(999) } });
    expectError(wide, 400, 'ERR_ADMIN_INVALID');
    expect(wide.text.length).toBeLessThan(4_000);
    expect(wide.body.error.issueCount).toBe(999);
    expect(wide.body.error.issues).toHaveLength(20);
    expect(wide.body.error.issues[0]).toEqual({ path: 'f0', message: 'unknown field' });
    expect(wide.body.error.message).toMatch(/; and 979 more$/);
  });

  it('answers 404 for unknown ids and routes, 405 with Allow for a wrong method', async () => {
    for (const path of ['/plans/pln_nope', '/projects/nope', '/keys/key_nope', '/keys/key_nope/rotate']) {
      const method = path.endsWith('rotate') ? 'POST' : 'GET';
      expectError(await tp.admin(method, path), 404, 'ERR_ADMIN_NOT_FOUND');
    }
    expectError(await tp.admin('DELETE', '/plans/nope'), 404, 'ERR_ADMIN_NOT_FOUND');
    expectError(await tp.admin('GET', '/teams'), 404, 'ERR_ROUTE_NOT_FOUND');
    expectError(await tp.admin('GET', '/plans/a/b'), 404, 'ERR_ROUTE_NOT_FOUND');
    const wrong = await tp.admin('PUT', '/plans');
    expectError(wrong, 405, 'ERR_HTTP_METHOD');
    expect(wrong.headers.get('allow')).toBe('GET, POST, OPTIONS');
  });

  it('answers 409 for a duplicate name and for deleting a plan in use; 204 for deleting an unused plan', async () => {
    const { plan, project } = await setUp();
    expectError(await tp.admin('POST', '/plans', { body: { name: plan.name } }), 409, 'ERR_ADMIN_CONFLICT');
    const twin = await tp.admin('POST', '/projects', { body: { name: project.name, plan: plan.id } });
    expectError(twin, 409, 'ERR_ADMIN_CONFLICT');
    expectError(await tp.admin('DELETE', `/plans/${plan.id}`), 409, 'ERR_ADMIN_CONFLICT');

    const unused = await tp.admin('POST', '/plans', { body: { name: unique('unused') } });
    const deleted = await tp.admin('DELETE', `/plans/${unused.body.name}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectError(await tp.admin('GET', `/plans/${unused.body.id}`), 404, 'ERR_ADMIN_NOT_FOUND');
  });

  it('reports usage totals once the meter has flushed', async () => {
    const { project, key, secret } = await setUp();
    for (let i = 0; i < 3; i++) expect((await tp.rpc(secret, 'eth_chainId')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await tp.rpc(secret, 'eth_blockNumber')).status).toBe(200);
    const usage = async (query: string) => {
      const res = await tp.admin('GET', `/usage?${query}`);
      expect(res.status).toBe(200);
      return usageSchema.parse(res.body).rows;
    };
    const byMethod = `project=${project.name}&groupBy=method`;
    await expect
      .poll(async () => (await usage(byMethod)).map(({ method, requests }) => ({ method, requests })), {
        timeout: 10_000,
        interval: 50,
      })
      .toEqual([
        { method: 'eth_blockNumber', requests: 2 },
        { method: 'eth_chainId', requests: 3 },
      ]);
    const today = new Date().toISOString().slice(0, 10);
    const [total] = await usage(`key=${key.id}&groupBy=day,network,outcome&from=${today}&to=${today}`);
    expect(total).toMatchObject({ day: today, network: 'anvil', outcome: 'ok', requests: 5 });
    expect(total?.bytes).toBeGreaterThan(0);
    expect(await usage(`project=${project.id}&to=2000-01-01`)).toEqual([
      { requests: 0, computeUnits: 0, bytes: 0 },
    ]);
  });

  it('serves an OpenAPI 3.1 document with every route', async () => {
    const res = await tp.admin('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ adminToken: [] }]);
    for (const route of ADMIN_ROUTES) {
      const operation = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      expect(Object.keys(operation.responses)).toEqual(
        expect.arrayContaining([String(route.status), '400', '401']),
      );
    }
    // Every reference points at something the document defines.
    const refs = [...res.text.matchAll(/"\$ref":"#\/components\/(\w+)\/(\w+)"/g)];
    expect(refs.length).toBeGreaterThan(20);
    for (const [, section = '', name = ''] of refs)
      expect(doc.components[section]?.[name], name).toBeDefined();
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
  });
}

describe('admin API on SQLite', () => adminApiSuite('sqlite'));
describe('admin API on PostgreSQL', () => adminApiSuite('postgres'));
