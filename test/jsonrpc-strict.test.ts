/**
 * Request objects that parsers read differently, over real sockets through a gateway in front of
 * a real anvil: repeated members and deep nesting are refused before anything is metered,
 * cached or forwarded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_DEPTH } from '../src/rpc/item-scan.js';
import { type GatewayFixture, startGatewayFixture } from './support/gateway-fixture.js';
import { postRaw } from './support/raw-http.js';

interface RpcEntry {
  jsonrpc: string;
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: { code?: string; limit?: number } };
}

const CACHE = { finality: 'depth', depth: 5, headPollMs: 50, unfinalizedTtlMs: 60_000 } as const;

let fx: GatewayFixture;

beforeAll(async () => {
  fx = await startGatewayFixture({ network: { cache: CACHE } });
  await postRaw(fx.anvils[0]!.url, '{"jsonrpc":"2.0","id":1,"method":"anvil_mine","params":["0x14"]}');
});

afterAll(async () => {
  await fx?.close();
});

const send = (body: string) => postRaw(fx.url, body);

/** `params` as an array nested so the request object is `levels` deep. */
const nested = (levels: number, id = '1') =>
  `{"jsonrpc":"2.0","id":${id},"method":"eth_call","params":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

describe('repeated members', () => {
  it.each([
    ['method', '{"jsonrpc":"2.0","method":"eth_chainId","method":"eth_blockNumber","id":1}'],
    [
      'method, one key escaped',
      '{"jsonrpc":"2.0","method":"eth_chainId","m\\u0065thod":"eth_blockNumber","id":1}',
    ],
    [
      'params',
      '{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0x1",false],"params":["0x2",false]}',
    ],
    ['id', '{"jsonrpc":"2.0","id":1,"id":2,"method":"eth_chainId"}'],
    ['jsonrpc', '{"jsonrpc":"1.0","jsonrpc":"2.0","id":1,"method":"eth_chainId"}'],
  ])('a repeated %s gets 400 -32600 with id null', async (_name, body) => {
    const res = await send(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, data: { code: 'ERR_INVALID_REQUEST' } },
    });
  });

  it('in a batch only that item gets -32600; the others are served', async () => {
    const res = await send(
      '[{"jsonrpc":"2.0","id":"a","method":"eth_chainId"},{"jsonrpc":"2.0","id":"b","method":"eth_chainId","method":"eth_blockNumber"}]',
    );
    expect(res.status).toBe(200);
    const entries = res.body as RpcEntry[];
    expect(entries).toHaveLength(2);
    expect(entries[0]).toEqual({ jsonrpc: '2.0', id: 'a', result: '0x7a69' });
    expect(entries[1]).toMatchObject({
      id: null,
      error: { code: -32600, data: { code: 'ERR_INVALID_REQUEST' } },
    });
  });

  it('a cached request is still refused when a member is repeated (the fast path never matches it)', async () => {
    const plain = '{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0x1",false]}';
    await send(plain);
    await expect.poll(async () => (await send(plain)).headers['x-cache']).toBe('HIT');
    const repeated =
      '{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0x1",false],"params":["0x2",false]}';
    for (let i = 0; i < 2; i++) {
      const res = await send(repeated);
      expect(res.status).toBe(400);
      expect((res.body as RpcEntry).error?.data?.code).toBe('ERR_INVALID_REQUEST');
    }
  });
});

describe('nesting depth', () => {
  it(`params nested 10,000 levels get 400 -32600 ERR_REQUEST_TOO_DEEP, not a 500`, async () => {
    const res = await send(nested(10_000));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      id: null,
      error: { code: -32600, data: { code: 'ERR_REQUEST_TOO_DEEP', limit: MAX_REQUEST_DEPTH } },
    });
  });

  it('a megabyte of brackets is refused the same way', async () => {
    const res = await send(nested(500_000));
    expect(res.status).toBe(400);
    expect((res.body as RpcEntry).error?.data?.code).toBe('ERR_REQUEST_TOO_DEEP');
  });

  it(`exactly ${MAX_REQUEST_DEPTH} levels are forwarded; one more is refused`, async () => {
    const atLimit = await send(nested(MAX_REQUEST_DEPTH));
    expect((atLimit.body as RpcEntry).error?.data?.code).not.toBe('ERR_REQUEST_TOO_DEEP');
    expect(atLimit.status).toBe(200);
    const over = await send(nested(MAX_REQUEST_DEPTH + 1));
    expect((over.body as RpcEntry).error?.data?.code).toBe('ERR_REQUEST_TOO_DEEP');
  });

  it('one item too deep refuses the whole batch with a single error', async () => {
    const res = await send(`[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},${nested(10_000, '2')}]`);
    expect(res.status).toBe(400);
    expect(Array.isArray(res.body)).toBe(false);
    expect((res.body as RpcEntry).error?.data?.code).toBe('ERR_REQUEST_TOO_DEEP');
  });
});

describe('ids are echoed byte for byte', () => {
  const ACCOUNT = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
  const IDS = [
    '1e2',
    '-0',
    '1.50',
    '12345678901234567890',
    '1e400',
    '-1.5E+400',
    '"a\\u0062"',
    '7',
    '"plain"',
  ];
  const call = (id: string, method: string, params: string, jsonrpc = '2.0') =>
    `{"jsonrpc":"${jsonrpc}","id":${id},"method":"${method}","params":${params}}`;
  /** Every `"id":` member of the answer, as written. */
  const idsIn = (text: string) => [...text.matchAll(/"id":("(?:[^"\\]|\\.)*"|[^,}\]]+)/g)].map((m) => m[1]);

  it.each(IDS)(
    '%s in a single answer from the node, from the cache and in the gateway’s errors',
    async (id) => {
      const balance = await send(call(id, 'eth_getBalance', `["${ACCOUNT}","latest"]`));
      expect(balance.status).toBe(200);
      expect(idsIn(balance.text)).toEqual([id]);
      expect((balance.body as RpcEntry).result).toBe('0x21e19e0c9bab2400000');
      for (let i = 0; i < 2; i++) {
        const block = await send(call(id, 'eth_getBlockByNumber', '["0x1",false]'));
        expect(idsIn(block.text)).toEqual([id]);
      }
      const unsupported = await send(call(id, 'eth_subscribe', '["newHeads"]'));
      expect((unsupported.body as RpcEntry).error?.data?.code).toBe('ERR_METHOD_NOT_SUPPORTED');
      expect(idsIn(unsupported.text)).toEqual([id]);
      const invalid = await send(call(id, 'eth_chainId', '[]', '1.0'));
      expect(invalid.status).toBe(400);
      expect(idsIn(invalid.text)).toEqual([id]);
    },
  );

  it.each(['"\\u0069d"', '"i\\u0064"', '"\\u0069\\u0064"'])(
    'an id whose key is written %s (JSON.parse reads it as "id")',
    async (key) => {
      const res = await send(
        `{"jsonrpc":"2.0",${key}:18446744073709551616,"method":"eth_chainId","params":[]}`,
      );
      expect(res.status).toBe(200);
      expect(idsIn(res.text)).toEqual(['18446744073709551616']);
      const repeated = await send(`{"jsonrpc":"2.0","id":1,${key}:2,"method":"eth_chainId"}`);
      expect((repeated.body as RpcEntry).error?.code).toBe(-32600);
    },
  );

  it('every form in one batch, answers and errors alike', async () => {
    const items = IDS.flatMap((id) => [
      call(id, 'eth_getBalance', `["${ACCOUNT}","latest"]`),
      call(id, 'eth_chainId', '[]', '1.0'),
    ]);
    const res = await send(`[${items.join(',')}]`);
    expect(res.status).toBe(200);
    expect(idsIn(res.text).sort()).toEqual(IDS.flatMap((id) => [id, id]).sort());
  });
});
