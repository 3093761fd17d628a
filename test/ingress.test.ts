/**
 * Ingress limits and HTTP behaviour over real sockets: body and batch limits, request and
 * response compression, CORS, broken or slow clients, health/metrics routes and headers.
 * Two gateways share one anvil: `main` with defaults, `strict` with small limits.
 */
import { deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { type GatewayFixture, startGatewayFixture } from './support/gateway-fixture.js';
import { postRaw, rawExchange, statusOf } from './support/raw-http.js';

const CHAIN_ID = '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}';
const BLOCK_NUMBER = '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}';
const GAS_PRICE = '{"jsonrpc":"2.0","id":1,"method":"eth_gasPrice","params":[]}';
const GENESIS_FULL = '{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0x0",true]}';

let anvil: AnvilNode;
let main: GatewayFixture;
let strict: GatewayFixture;

beforeAll(async () => {
  anvil = await startAnvil();
  main = await startGatewayFixture({
    upstreamUrls: [anvil.url],
    network: { serviceIds: ['eth-local'] },
  });
  strict = await startGatewayFixture({
    upstreamUrls: [anvil.url],
    networkName: 'strict',
    server: {
      maxBodyBytes: 1024,
      maxBatchSize: 5,
      maxHeaderBytes: 4096,
      requestTimeoutMs: 1000,
      exposeUpstream: false,
      cors: { origins: ['https://app.example'] },
    },
  });
});

afterAll(async () => {
  await main?.close();
  await strict?.close();
  await anvil?.stop();
});

/** Asserts that a gateway still answers a normal request (after abuse). */
async function expectServing(fx: GatewayFixture): Promise<void> {
  const res = await postRaw(fx.url, CHAIN_ID);
  expect(res.body).toEqual({ jsonrpc: '2.0', id: 1, result: '0x7a69' });
}

const errorCode = (body: unknown) => (body as { error?: { data?: { code?: string } } }).error?.data?.code;

describe('request limits', () => {
  it('a body over maxBodyBytes with content-length gets 413', async () => {
    const body = `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["${'a'.repeat(2000)}"]}`;
    const raw = await rawExchange(strict.port, [
      `POST /strict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
      body,
    ]);
    expect(statusOf(raw)).toBe(413);
    expect(raw).toContain('"ERR_BODY_TOO_LARGE"');
    await expectServing(strict);
  });

  it('a chunked body over maxBodyBytes gets 413', async () => {
    const chunk = 'a'.repeat(700);
    const hex = chunk.length.toString(16);
    const raw = await rawExchange(strict.port, [
      'POST /strict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n',
      `${hex}\r\n${chunk}\r\n`,
      `${hex}\r\n${chunk}\r\n`,
      '0\r\n\r\n',
    ]);
    expect(statusOf(raw)).toBe(413);
    expect(raw).toContain('"ERR_BODY_TOO_LARGE"');
    await expectServing(strict);
  });

  it('a batch over maxBatchSize gets 400 ERR_BATCH_TOO_LARGE', async () => {
    const res = await postRaw(strict.url, `[${Array(6).fill(CHAIN_ID).join(',')}]`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      id: null,
      error: { code: -32600, data: { code: 'ERR_BATCH_TOO_LARGE' } },
    });
    const atLimit = await postRaw(strict.url, `[${Array(5).fill(CHAIN_ID).join(',')}]`);
    expect(atLimit.body).toHaveLength(5);
  });

  it('a header block over maxHeaderBytes gets 431 and the server keeps serving', async () => {
    const raw = await rawExchange(strict.port, [
      `POST /strict HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(8000)}\r\ncontent-length: 0\r\n\r\n`,
    ]);
    expect(statusOf(raw)).toBe(431);
    expect(raw).toContain('"code":"ERR_HEADERS_TOO_LARGE"');
    await expectServing(strict);
  });

  it('a client that stalls its body past requestTimeoutMs is cut off and others are served', async () => {
    const raw = await rawExchange(strict.port, [
      'POST /strict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n',
      '{"jsonrpc":',
    ]);
    // Node answers 408 when it can; a closed connection without a response is also acceptable.
    if (raw !== '') {
      expect(statusOf(raw)).toBe(408);
      expect(raw).toContain('"code":"ERR_REQUEST_TIMEOUT"');
    }
    await expectServing(strict);
  });

  it('garbage that is not HTTP gets 400 and a closed connection', async () => {
    const raw = await rawExchange(strict.port, ['\x16\x03\x01\x02\x00 not http at all\r\n\r\n']);
    expect(statusOf(raw)).toBe(400);
    expect(raw).toContain('"code":"ERR_MALFORMED_HTTP"');
    await expectServing(strict);
  });
});

describe('request encodings', () => {
  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ])('a %s request body is decoded', async (encoding, compress) => {
    const res = await postRaw(strict.url, compress(Buffer.from(CHAIN_ID)), {
      headers: { 'content-encoding': encoding },
    });
    expect(res.body).toEqual({ jsonrpc: '2.0', id: 1, result: '0x7a69' });
  });

  it('a gzip bomb that decodes beyond maxBodyBytes gets 413', async () => {
    const bomb = gzipSync(
      `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["${'a'.repeat(500_000)}"]}`,
    );
    expect(bomb.length).toBeLessThan(1024);
    const res = await postRaw(strict.url, bomb, { headers: { 'content-encoding': 'gzip' } });
    expect(res.status).toBe(413);
    expect(errorCode(res.body)).toBe('ERR_BODY_TOO_LARGE');
  });

  it('an unsupported content-encoding gets 415', async () => {
    const res = await postRaw(strict.url, CHAIN_ID, { headers: { 'content-encoding': 'compress' } });
    expect(res.status).toBe(415);
    expect(errorCode(res.body)).toBe('ERR_UNSUPPORTED_ENCODING');
  });

  it('a text/plain content-type gets 415', async () => {
    const res = await postRaw(strict.url, CHAIN_ID, { headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
    expect(errorCode(res.body)).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('response compression', () => {
  it('a large response is gzip-encoded when the client accepts gzip', async () => {
    const res = await postRaw(main.url, GENESIS_FULL, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    const plain = JSON.parse(gunzipSync(res.bytes).toString('utf8')) as { result: { number: string } };
    expect(plain.result.number).toBe('0x0');
    expect(gunzipSync(res.bytes).length).toBeGreaterThan(1024);
  });

  it('the same response is plain when the client does not accept gzip', async () => {
    const res = await postRaw(main.url, GENESIS_FULL);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect((res.body as { result: { number: string } }).result.number).toBe('0x0');
  });

  it('deflate when the client prefers it, and nothing when gzip is refused with q=0', async () => {
    const deflated = await postRaw(main.url, GENESIS_FULL, {
      headers: { 'accept-encoding': 'gzip;q=0.2, deflate' },
    });
    expect(deflated.headers['content-encoding']).toBe('deflate');
    expect(JSON.parse(inflateSync(deflated.bytes).toString('utf8'))).toMatchObject({
      result: { number: '0x0' },
    });
    const refused = await postRaw(main.url, GENESIS_FULL, { headers: { 'accept-encoding': 'gzip;q=0' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.headers.vary).toMatch(/accept-encoding/i);
    expect((refused.body as { result: { number: string } }).result.number).toBe('0x0');
  });

  it('a small response is not compressed', async () => {
    const res = await postRaw(main.url, CHAIN_ID, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body).toMatchObject({ result: '0x7a69' });
  });
});

describe('CORS', () => {
  const preflight = (fx: GatewayFixture, origin: string) =>
    postRaw(fx.url, undefined, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

  it('a preflight gets 204 with allow-origin, methods and headers', async () => {
    const res = await preflight(main, 'https://any.example');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(res.headers['access-control-allow-headers']).toContain('content-type');
  });

  it('a configured origin list echoes only allowed origins', async () => {
    const allowed = await preflight(strict, 'https://app.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    const denied = await preflight(strict, 'https://evil.example');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    expect(denied.headers['access-control-allow-methods']).toBeUndefined();
    const post = await postRaw(strict.url, CHAIN_ID, { headers: { origin: 'https://app.example' } });
    expect(post.headers['access-control-allow-origin']).toBe('https://app.example');
  });
});

describe('routes and headers', () => {
  it('/healthz answers 200', async () => {
    const res = await postRaw(`${main.baseUrl}/healthz`, undefined, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 with network detail', async () => {
    const res = await postRaw(`${main.baseUrl}/readyz`, undefined, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ready: true,
      networks: { anvil: { ready: true, upstreams: [{ id: 'anvil-0', available: true }] } },
    });
  });

  it('/metrics exposes request counters and upstream availability', async () => {
    await postRaw(main.url, BLOCK_NUMBER);
    const res = await postRaw(`${main.baseUrl}/metrics`, undefined, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/^turnpike_requests_total\{[^}]*network="anvil"[^}]*\} [1-9]/m);
    expect(res.text).toMatch(/^turnpike_upstream_available\{network="anvil",upstream="anvil-0"\} 1$/m);
  });

  it('Server-Timing names the parse, select, upstream and total stages', async () => {
    const res = await postRaw(main.url, BLOCK_NUMBER);
    const timing = String(res.headers['server-timing']);
    for (const stage of ['parse', 'select', 'upstream', 'total']) expect(timing).toMatch(`${stage};dur=`);
  });

  it('Server-Timing is on every other response too: errors, health, metrics, HTTP-layer failures', async () => {
    const responses = {
      'parse error': await postRaw(main.url, '{"jsonrpc":'),
      'unknown network': await postRaw(`${main.baseUrl}/nope`, CHAIN_ID),
      'wrong content-type': await postRaw(main.url, CHAIN_ID, { headers: { 'content-type': 'text/plain' } }),
      'body too large': await postRaw(strict.url, `[${CHAIN_ID}${`,${CHAIN_ID}`.repeat(30)}]`),
      healthz: await postRaw(`${main.baseUrl}/healthz`, undefined, { method: 'GET' }),
      metrics: await postRaw(`${main.baseUrl}/metrics`, undefined, { method: 'GET' }),
    };
    for (const [name, res] of Object.entries(responses)) {
      expect(res.headers['server-timing'], name).toMatch(/(^|, )total;dur=\d+\.\d{3}$/);
    }
    // The parse error knows its read and parse stages.
    expect(responses['parse error'].headers['server-timing']).toMatch(/^read;dur=.*parse;dur=/);
    const garbage = await rawExchange(main.port, ['\x16\x03\x01 not http\r\n\r\n']);
    expect(statusOf(garbage)).toBe(400);
    expect(garbage).toMatch(/\r\nserver-timing: total;dur=\d+\.\d{3}\r\n/);
  });

  it('X-Turnpike-Upstream names the upstream unless exposeUpstream is false', async () => {
    // eth_gasPrice always reaches an upstream (eth_blockNumber may come from the chain tracker).
    expect((await postRaw(main.url, GAS_PRICE)).headers['x-turnpike-upstream']).toBe('anvil-0');
    const hidden = await postRaw(strict.url, GAS_PRICE);
    expect(hidden.body).toMatchObject({ id: 1, result: expect.any(String) });
    expect(hidden.headers['x-turnpike-upstream']).toBeUndefined();
  });

  it('x-request-id is echoed when given and generated when not', async () => {
    const given = await postRaw(main.url, CHAIN_ID, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(given.headers['x-request-id']).toBe('trace-abc.123');
    const generated = await postRaw(main.url, CHAIN_ID);
    expect(generated.headers['x-request-id']).toMatch(/\S/);
    expect(generated.headers['x-request-id']).not.toBe('trace-abc.123');
  });

  it('POST / routes by Target-Service-Id to a network or one of its serviceIds', async () => {
    for (const serviceId of ['eth-local', 'anvil']) {
      const res = await postRaw(`${main.baseUrl}/`, CHAIN_ID, {
        headers: { 'target-service-id': serviceId },
      });
      expect(res.body).toEqual({ jsonrpc: '2.0', id: 1, result: '0x7a69' });
    }
    const unknown = await postRaw(`${main.baseUrl}/`, CHAIN_ID, { headers: { 'target-service-id': 'nope' } });
    expect(unknown.status).toBe(404);
  });
});
