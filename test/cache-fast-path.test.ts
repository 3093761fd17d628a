/**
 * The known-shape fast path (a repeat of a request whose cache plan was final skips JSON.parse
 * and planning) in front of a real anvil: byte-identical answers to the usual path for every id
 * form, never for blocks that are not final (a reorg still wins), batches untouched, and with
 * tenancy on still 401 without a key, 429 over the limit, and metered.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkCache } from '../src/cache/network-cache.js';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { SqlTenancyStore } from '../src/tenancy/sql-tenancy-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { rpc } from './support/rpc.js';

const ALICE = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const BOB = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const CAROL = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';
const CACHE = { finality: 'depth', depth: 5, headPollMs: 50, unfinalizedTtlMs: 60_000 } as const;

let anvil: AnvilNode;
let database: TestDatabase;
let store: SqlTenancyStore;
let open: Gateway;
let keyed: Gateway;
let openUrl: string;
let keyedUrl: string;
const secrets: Record<string, string> = {};

interface Raw {
  status: number;
  text: string;
  xCache: string | undefined;
  serverTiming: string | undefined;
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Raw> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.body.text();
  const header = (name: string) => res.headers[name] as string | undefined;
  return { status: res.statusCode, text, xCache: header('x-cache'), serverTiming: header('server-timing') };
}

async function direct(method: string, params: unknown[] = []): Promise<unknown> {
  return ((await rpc(anvil.url, method, params)).body as { result: unknown }).result;
}

function cacheOf(gateway: Gateway): NetworkCache {
  return gateway.networks.get('anvil')!.cache!;
}

async function trackerCaughtUp(gateway: Gateway): Promise<void> {
  const head = Number.parseInt((await direct('eth_blockNumber')) as string, 16);
  await expect.poll(() => gateway.networks.get('anvil')!.tracker!.head, { timeout: 5_000 }).toBe(head);
}

/** A body with the id as raw JSON text, so ids like 2^64 go out exactly as written. */
function body(id: string, method: string, params: unknown[], spacing = ''): string {
  return `{"jsonrpc":"2.0",${spacing}"id":${id},"method":"${method}","params":${JSON.stringify(params)}}`;
}

beforeAll(async () => {
  anvil = await startAnvil();
  database = await createTestDatabase('sqlite');
  store = new SqlTenancyStore(database.store);
  const unlimited = await store.createPlan({ name: 'open' });
  const limited = await store.createPlan({ name: 'limited', rateLimit: { perSecond: 0.01, burst: 3 } });
  for (const [name, plan] of [
    ['main', unlimited],
    ['limited', limited],
  ] as const) {
    const project = await store.createProject({ name, planId: plan.id });
    secrets[name] = (await store.createKey({ projectId: project.id, name })).secret;
  }
  open = createGateway({
    logging: { level: 'silent' },
    networks: { anvil: { upstreams: [{ url: anvil.url }], cache: CACHE } },
  });
  openUrl = `${(await open.listen(0, '127.0.0.1')).url}/anvil`;
  keyed = createGateway({
    logging: { level: 'silent' },
    storage: { database: database.options.database },
    tenancy: { enabled: true, usageFlushMs: 50, changePollMs: 100, balanceRefreshMs: 100 },
    networks: { anvil: { upstreams: [{ url: anvil.url }], cache: CACHE } },
  });
  keyedUrl = `${(await keyed.listen(0, '127.0.0.1')).url}/anvil`;
  await direct('anvil_mine', ['0x14']);
});

afterAll(async () => {
  await open?.close(1_000);
  await keyed?.close(1_000);
  await database?.drop();
  await anvil?.stop();
});

describe('known-shape fast path', () => {
  it('answers a repeat of a final read with the same bytes as the usual path, for every id form', async () => {
    await rpc(openUrl, 'eth_getBlockByNumber', ['0x2', false]); // starts the tracker
    await trackerCaughtUp(open);
    const cache = cacheOf(open);
    const params = ['0x3', false];
    const ids = [
      '7',
      '"req-1"',
      'null',
      '0',
      '-42',
      '18446744073709551616',
      '123456789012345678901234567890',
    ];
    await post(openUrl, body('1', 'eth_getBlockByNumber', params)); // fills the entry
    for (const [i, id] of ids.entries()) {
      // A shape of its own per id form (the spacing differs): its first request takes the usual path.
      const spacing = ' '.repeat(i + 1);
      const before = cache.stats.shapeHits;
      const usual = await post(openUrl, body(id, 'eth_getBlockByNumber', params, spacing));
      expect(usual.xCache).toBe('HIT');
      expect(cache.stats.shapeHits, `${id}: usual path`).toBe(before);
      const fast = await post(openUrl, body(id, 'eth_getBlockByNumber', params, spacing));
      expect(cache.stats.shapeHits, `${id}: fast path`).toBe(before + 1);
      expect(fast.status).toBe(200);
      expect(fast.xCache).toBe('HIT');
      expect(fast.text, id).toBe(usual.text);
      expect(fast.text.startsWith(`{"jsonrpc":"2.0","id":${id},"result":{`)).toBe(true);
      // No parse, select or upstream stage happened on the fast path, and none is reported.
      expect(fast.serverTiming).toMatch(/^read;dur=\d+\.\d{3}, cache;dur=\d+\.\d{3}, total;dur=\d+\.\d{3}$/);
      expect(usual.serverTiming).toMatch(/parse;dur=.*cache;dur=.*upstream;dur=/);
    }
    expect(
      JSON.parse((await post(openUrl, body('1', 'eth_getBlockByNumber', params, ' '))).text).result,
    ).toEqual(await direct('eth_getBlockByNumber', params));
  });

  it('answers the same bytes through a node:http server (gateway.handler)', async () => {
    const server = createServer(open.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/anvil`;
      const cache = cacheOf(open);
      const read = body('"via-node"', 'eth_getBlockByNumber', ['0x3', false], '\t');
      const usual = await post(url, read);
      const before = cache.stats.shapeHits;
      const fast = await post(url, read);
      expect(cache.stats.shapeHits).toBe(before + 1);
      expect(fast.xCache).toBe('HIT');
      expect(fast.text).toBe(usual.text);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('takes the usual path for ids it would not echo byte for byte, with the usual answers', async () => {
    const cache = cacheOf(open);
    const params = ['0x3', false];
    await post(openUrl, body('1', 'eth_getBlockByNumber', params));
    await post(openUrl, body('1', 'eth_getBlockByNumber', params)); // a hit: the shape is known now
    const before = cache.stats.shapeHits;
    const fraction = await post(openUrl, body('1.50', 'eth_getBlockByNumber', params));
    expect(fraction.text.startsWith('{"jsonrpc":"2.0","id":1.50,"result":{')).toBe(true);
    const escaped = await post(openUrl, body('"\\u0041"', 'eth_getBlockByNumber', params));
    expect(escaped.text.startsWith('{"jsonrpc":"2.0","id":"\\u0041","result":{')).toBe(true);
    const invalid = await post(openUrl, body('true', 'eth_getBlockByNumber', params));
    expect(JSON.parse(invalid.text).error.code).toBe(-32600);
    expect(cache.stats.shapeHits).toBe(before);
  });

  it('never serves a block that is not final from a known shape; after a reorg the answer is the new one', async () => {
    const cache = cacheOf(open);
    const hash = (await direct('eth_sendTransaction', [{ from: ALICE, to: BOB, value: '0x1000' }])) as string;
    await direct('anvil_mine', ['0x1']);
    const { blockNumber } = (await direct('eth_getTransactionReceipt', [hash])) as { blockNumber: string };
    await trackerCaughtUp(open);
    const read = body('5', 'eth_getBlockByNumber', [blockNumber, true]);
    await post(openUrl, read);
    const before = cache.stats.shapeHits;
    expect((await post(openUrl, read)).xCache).toBe('HIT');
    expect((await post(openUrl, read)).xCache).toBe('HIT');
    expect(cache.stats.shapeHits).toBe(before);

    const nonce = (await direct('eth_getTransactionCount', [ALICE, 'latest'])) as string;
    await direct('anvil_reorg', [2, [[{ from: ALICE, to: CAROL, value: '0x2000', nonce }, 0]]]);
    await trackerCaughtUp(open);
    await expect.poll(() => open.networks.get('anvil')!.tracker!.stats.reorgs).toBeGreaterThan(0);
    const after = JSON.parse((await post(openUrl, read)).text) as { result: unknown };
    expect(after.result).toEqual(await direct('eth_getBlockByNumber', [blockNumber, true]));
    expect(cache.stats.shapeHits).toBe(before);
  });

  it('leaves batches to the usual path', async () => {
    const cache = cacheOf(open);
    const single = body('1', 'eth_getBlockByNumber', ['0x4', false]);
    await post(openUrl, single);
    await post(openUrl, single);
    expect((await post(openUrl, single)).xCache).toBe('HIT');
    const before = cache.stats.shapeHits;
    const batch = await post(openUrl, `[${single},${body('2', 'eth_chainId', [])}]`);
    expect(batch.xCache).toBe('HIT, BYPASS');
    const answers = JSON.parse(batch.text) as { id: number; result: unknown }[];
    expect(answers.map((answer) => answer.id)).toEqual([1, 2]);
    expect(answers[0]?.result).toEqual(await direct('eth_getBlockByNumber', ['0x4', false]));
    expect(cache.stats.shapeHits).toBe(before);
  });

  it('with tenancy on, still answers 401 without a key, 429 over the limit, and meters fast hits', async () => {
    await rpc(keyedUrl, 'eth_getBlockByNumber', ['0x2', false], { headers: { 'x-api-key': secrets.main! } });
    await trackerCaughtUp(keyed);
    const cache = cacheOf(keyed);
    const read = body('9', 'eth_getBalance', [BOB, '0x3']);
    const main = { 'x-api-key': secrets.main! };
    await post(keyedUrl, read, main);
    expect((await post(keyedUrl, read, main)).xCache).toBe('HIT'); // the shape is known now
    const before = cache.stats.shapeHits;
    expect((await post(keyedUrl, read, main)).xCache).toBe('HIT');
    expect(cache.stats.shapeHits).toBe(before + 1);

    const anonymous = await post(keyedUrl, read);
    expect(anonymous.status).toBe(401);
    expect(cache.stats.shapeHits).toBe(before + 1);

    const limited = { 'x-api-key': secrets.limited! };
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await post(keyedUrl, body(`"n${i}"`, 'eth_getBalance', [BOB, '0x3']), limited));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 429]);
    expect(cache.stats.shapeHits).toBe(before + 4);
    const refused = JSON.parse(answers[3]!.text) as { id: string; error: { data: { code: string } } };
    expect(refused.id).toBe('n3');
    expect(refused.error.data.code).toBe('ERR_RATE_LIMITED');

    // Every request is metered, fast or not, the refused one too (as on the usual path).
    const [project] = (await store.listProjects()).filter((p) => p.name === 'limited');
    await expect
      .poll(async () => (await store.queryUsage({ projectId: project!.id, groupBy: [] }))[0]?.requests ?? 0, {
        timeout: 5_000,
      })
      .toBe(4);
  });
});
