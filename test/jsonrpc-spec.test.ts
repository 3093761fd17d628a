/**
 * Section 7 of the JSON-RPC 2.0 specification, adapted to eth methods, through the gateway in
 * front of a real anvil node. Invalid bodies are sent as exact bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayFixture, startGatewayFixture } from './support/gateway-fixture.js';
import { postRaw } from './support/raw-http.js';

const ACCOUNT = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const TEN_THOUSAND_ETH = '0x21e19e0c9bab2400000';

interface RpcEntry {
  jsonrpc: string;
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: { code?: string } };
}

let fx: GatewayFixture;

beforeAll(async () => {
  fx = await startGatewayFixture();
});

afterAll(async () => {
  await fx?.close();
});

const send = (body: string) => postRaw(fx.url, body);

describe('JSON-RPC 2.0 section 7 examples', () => {
  it('rpc call with positional parameters', async () => {
    const res = await send(
      `{"jsonrpc":"2.0","method":"eth_getBalance","params":["${ACCOUNT}","latest"],"id":1}`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ jsonrpc: '2.0', id: 1, result: TEN_THOUSAND_ETH });
  });

  it('named parameters: the node rejects them and its error passes through unchanged', async () => {
    const body = `{"jsonrpc":"2.0","method":"eth_getBalance","params":{"address":"${ACCOUNT}","block":"latest"},"id":3}`;
    const direct = await postRaw(fx.anvils[0]!.url, body);
    const res = await send(body);
    expect((direct.body as RpcEntry).error?.code).toBe(-32602);
    expect(res.status).toBe(200);
    expect(res.text).toBe(direct.text);
  });

  it('a notification gets HTTP 204 and an empty body', async () => {
    const res = await send('{"jsonrpc":"2.0","method":"eth_blockNumber","params":[]}');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
  });

  it('a batch of notifications gets HTTP 204 and an empty body', async () => {
    const res = await send(
      '[{"jsonrpc":"2.0","method":"eth_blockNumber","params":[]},{"jsonrpc":"2.0","method":"eth_chainId"}]',
    );
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
  });

  it('a non-existent method gets the node -32601 with the same id', async () => {
    const res = await send('{"jsonrpc":"2.0","method":"foobar","id":"1"}');
    const entry = res.body as RpcEntry;
    expect(entry.id).toBe('1');
    expect(entry.error?.code).toBe(-32601);
  });

  it('invalid JSON gets -32700 with id null', async () => {
    const res = await send('{"jsonrpc":"2.0","method":"foobar, "params":"bar", "baz]');
    expect(res.status).toBe(400);
    const entry = res.body as RpcEntry;
    expect(entry).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
  });

  it('an invalid Request object gets -32600 with id null', async () => {
    const res = await send('{"jsonrpc":"2.0","method":1,"params":"bar"}');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
  });

  it('a batch with invalid JSON gets a single -32700', async () => {
    const res = await send(
      '[{"jsonrpc":"2.0","method":"eth_chainId","params":[],"id":"1"},{"jsonrpc":"2.0","method"]',
    );
    expect(Array.isArray(res.body)).toBe(false);
    expect(res.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
  });

  it('an empty array gets a single -32600, not an array', async () => {
    const res = await send('[]');
    expect(Array.isArray(res.body)).toBe(false);
    expect(res.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
  });

  it('an invalid batch of one gets an array with one -32600', async () => {
    const res = await send('[1]');
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      expect.objectContaining({ jsonrpc: '2.0', id: null, error: expect.anything() }),
    ]);
    expect((res.body as RpcEntry[])[0]!.error!.code).toBe(-32600);
  });

  it('an invalid batch of three gets three -32600 entries', async () => {
    const res = await send('[1,2,3]');
    const entries = res.body as RpcEntry[];
    expect(entries).toHaveLength(3);
    for (const entry of entries) expect(entry).toMatchObject({ id: null, error: { code: -32600 } });
  });

  it('a mixed batch answers every non-notification, matched by id', async () => {
    const res = await send(`[
      {"jsonrpc":"2.0","method":"eth_getBalance","params":["${ACCOUNT}","latest"],"id":"1"},
      {"jsonrpc":"2.0","method":"eth_blockNumber","params":[]},
      {"jsonrpc":"2.0","method":"eth_chainId","params":[],"id":"2"},
      {"foo":"boo"},
      {"jsonrpc":"2.0","method":"foo.get","params":{"name":"myself"},"id":"5"},
      {"jsonrpc":"2.0","method":"net_version","params":[],"id":"9"}
    ]`);
    expect(res.status).toBe(200);
    const entries = res.body as RpcEntry[];
    expect(entries).toHaveLength(5);
    const byId = new Map(entries.map((entry) => [entry.id, entry]));
    expect(byId.get('1')?.result).toBe(TEN_THOUSAND_ETH);
    expect(byId.get('2')?.result).toBe('0x7a69');
    expect(byId.get('9')?.result).toBe('31337');
    expect(byId.get('5')?.error?.code).toBe(-32601);
    expect(byId.get(null)?.error?.code).toBe(-32600);
  });
});

describe('ids are echoed unchanged', () => {
  it.each([
    ['a number', '7', 7],
    ['a negative number', '-42', -42],
    ['a string', '"req-\\u00e9-1"', 'req-é-1'],
    ['null', 'null', null],
  ])('%s', async (_name, rawId, id) => {
    const res = await send(`{"jsonrpc":"2.0","method":"eth_chainId","params":[],"id":${rawId}}`);
    expect(res.body).toEqual({ jsonrpc: '2.0', id, result: '0x7a69' });
  });

  it('a large integer id keeps its exact digits in a single request', async () => {
    const res = await send(
      '{"jsonrpc":"2.0","method":"eth_getBalance","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","latest"],"id":18446744073709551616}',
    );
    expect(res.text).toContain('"id":18446744073709551616');
    expect(res.text).toContain(`"result":"${TEN_THOUSAND_ETH}"`);
  });

  it('a large integer id keeps its exact digits in a batch', async () => {
    const res = await send(
      '[{"jsonrpc":"2.0","method":"eth_blockNumber","params":[],"id":18446744073709551617},{"jsonrpc":"2.0","method":"eth_chainId","params":[],"id":2}]',
    );
    expect(res.text).toContain('"id":18446744073709551617');
    expect(res.text).not.toContain('"id":null');
  });

  it('a large integer id keeps its digits on an error the gateway makes itself', async () => {
    const res = await send(
      '{"jsonrpc":"2.0","method":"eth_subscribe","params":["newHeads"],"id":18446744073709551616}',
    );
    expect(res.text).toContain('"id":18446744073709551616');
    expect((res.body as RpcEntry).error?.data?.code).toBe('ERR_METHOD_NOT_SUPPORTED');
  });
});

describe('routes', () => {
  it('an unknown network gets HTTP 404 with a JSON-RPC error', async () => {
    const res = await postRaw(`${fx.baseUrl}/nosuchnet`, '{"jsonrpc":"2.0","method":"eth_chainId","id":1}');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32004, data: { code: 'ERR_NETWORK_NOT_FOUND' } },
    });
  });

  it('GET on a network gets HTTP 405 and names the allowed methods', async () => {
    const res = await postRaw(fx.url, undefined, { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toContain('POST');
    expect(res.body).toMatchObject({ error: { code: -32600, data: { code: 'ERR_HTTP_METHOD' } } });
  });
});
