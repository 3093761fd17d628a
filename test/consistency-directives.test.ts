/**
 * Directive headers through a gateway with tenancy on (keys in a real SQLite file) in front of
 * two real anvils at different heights: each directive is honoured for a plan that allows it,
 * refused with ERR_DIRECTIVE_NOT_ALLOWED for one that does not (and for keyless requests beyond
 * `directives.keyless`), and a bad value is ERR_DIRECTIVE_INVALID.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { type RpcResponse, rpc } from './support/rpc.js';
import { headOf, startUnevenAnvils, type UnevenAnvils } from './support/uneven-anvils.js';

let anvils: UnevenAnvils;
let database: TestDatabase;
let gateway: Gateway;
let base: string;
const secrets: Record<string, string> = {};

beforeAll(async () => {
  anvils = await startUnevenAnvils({ lead: 20 });
  database = await createTestDatabase('sqlite');
  const store = new SqlTenancyStore(database.store);
  for (const name of ['gold', 'basic', 'plain']) {
    const plan = await store.createPlan({ name });
    const project = await store.createProject({ name, planId: plan.id });
    secrets[name] = (await store.createKey({ projectId: project.id, name })).secret;
  }
  gateway = createGateway({
    logging: { level: 'silent' },
    storage: { database: database.options.database },
    tenancy: { enabled: true },
    consistency: {
      enabled: true,
      directives: {
        keyless: ['attempts'],
        default: [],
        plans: { gold: ['upstream', 'skip-cache', 'min-block', 'max-lag', 'attempts'], basic: ['attempts'] },
      },
    },
    networks: {
      anvil: {
        chainId: 31337,
        access: { keyless: true },
        health: { maxBlockLag: 0, probeIntervalMs: 100 },
        upstreams: [
          { id: 'ahead', url: anvils.ahead.url },
          { id: 'behind', url: anvils.behind.url },
        ],
      },
    },
  });
  base = (await gateway.listen(0, '127.0.0.1')).url;
});

afterAll(async () => {
  await gateway?.close(1_000);
  await database?.drop();
  await anvils?.stop();
});

function call(
  who: string | undefined,
  headers: Record<string, string>,
  method = 'eth_blockNumber',
  params: unknown[] = [],
) {
  const url = who === undefined ? `${base}/anvil` : `${base}/anvil/${secrets[who]}`;
  return rpc(url, method, params, { headers });
}

function code(answer: RpcResponse): string | undefined {
  return (answer.body as { error?: { data?: { code?: string } } }).error?.data?.code;
}

function height(answer: RpcResponse): number {
  const result = (answer.body as { result?: string }).result;
  expect(result, answer.text).toBeDefined();
  return Number.parseInt(result!, 16);
}

describe('directives honoured for a plan that allows them', () => {
  it('X-Turnpike-Upstream sends every request to the named upstream', async () => {
    const behind = await headOf(anvils.behind);
    const ahead = await headOf(anvils.ahead);
    for (let i = 0; i < 10; i++) {
      const answer = await call('gold', { 'x-turnpike-upstream': 'behind' });
      expect(answer.headers['x-turnpike-upstream']).toBe('behind');
      expect(height(answer)).toBe(behind);
    }
    const answer = await call('gold', { 'x-turnpike-upstream': 'ahead' });
    expect(height(answer)).toBe(ahead);
  });

  it('X-Turnpike-Min-Block and X-Turnpike-Max-Lag keep requests off the lagging upstream', async () => {
    const ahead = await headOf(anvils.ahead);
    for (let i = 0; i < 10; i++) {
      expect(
        (await call('gold', { 'x-turnpike-min-block': String(ahead) })).headers['x-turnpike-upstream'],
      ).toBe('ahead');
      expect((await call('gold', { 'x-turnpike-max-lag': '0x0' })).headers['x-turnpike-upstream']).toBe(
        'ahead',
      );
    }
    const beyond = await call('gold', { 'x-turnpike-min-block': String(ahead + 1_000) });
    expect(beyond.status).toBe(503);
    expect(code(beyond)).toBe('ERR_NO_CONSISTENT_UPSTREAM');
  });

  it('X-Turnpike-Skip-Cache answers from an upstream, not the cache', async () => {
    // net_version never changes, so it is cached once seen (the two anvils are two chains, so
    // block answers are not a stable thing to cache here).
    await call('gold', {}, 'net_version');
    expect((await call('gold', {}, 'net_version')).headers['x-cache']).toBe('HIT');
    const skipped = await call('gold', { 'x-turnpike-skip-cache': 'true' }, 'net_version');
    expect(skipped.headers['x-cache']).toBeUndefined();
    expect(skipped.headers['x-turnpike-upstream']).toBeDefined();
  });

  it('X-Turnpike-Upstream bypasses the cache', async () => {
    await call('gold', {}, 'net_version');
    expect((await call('gold', {}, 'net_version')).headers['x-cache']).toBe('HIT');
    const named = await call('gold', { 'x-turnpike-upstream': 'behind' }, 'net_version');
    expect(named.headers['x-cache']).toBeUndefined();
    expect(named.headers['x-turnpike-upstream']).toBe('behind');
  });

  it('X-Turnpike-Debug: attempts lists each attempt', async () => {
    const answer = await call('basic', { 'x-turnpike-debug': 'attempts' }, 'eth_gasPrice');
    expect(answer.headers['x-turnpike-attempts']).toMatch(/^(ahead|behind);outcome=ok;ms=\d+\.\d$/);
    const keyless = await call(undefined, { 'x-turnpike-debug': 'attempts' }, 'eth_getBalance', [
      '0x000000000000000000000000000000000000dEaD',
      'latest',
    ]);
    expect(keyless.headers['x-turnpike-attempts']).toMatch(/^(ahead|behind);outcome=ok;ms=/);
  });
});

describe('directives refused', () => {
  it.each([
    ['basic', 'x-turnpike-upstream', 'ahead'],
    ['basic', 'x-turnpike-min-block', '1'],
    ['plain', 'x-turnpike-debug', 'attempts'],
    ['plain', 'x-turnpike-max-lag', '2'],
    ['plain', 'x-turnpike-skip-cache', '1'],
    [undefined, 'x-turnpike-upstream', 'behind'],
  ])('%s may not use %s', async (who, header, value) => {
    const answer = await call(who, { [header]: value });
    expect(answer.status).toBe(403);
    expect(code(answer)).toBe('ERR_DIRECTIVE_NOT_ALLOWED');
  });

  it.each([
    ['x-turnpike-upstream', 'nosuch'],
    ['x-turnpike-min-block', 'abc'],
    ['x-turnpike-max-lag', '-1'],
    ['x-turnpike-skip-cache', 'maybe'],
    ['x-turnpike-debug', 'everything'],
    ['x-turnpike-session', 'x'.repeat(129)],
  ])('%s: %s is ERR_DIRECTIVE_INVALID', async (header, value) => {
    const answer = await call('gold', { [header]: value });
    expect(answer.status).toBe(400);
    expect(code(answer)).toBe('ERR_DIRECTIVE_INVALID');
  });
});
