/**
 * Turnpike's own HTTP/1.1 server (src/http/http1) over real sockets, in front of one real anvil:
 * pipelining, 100-continue, HEAD, connection persistence, half-close, malformed input, timeouts and
 * connection slots. Also the node:http adapter (`gateway.handler`) mounted on a server we own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { type GatewayFixture, startGatewayFixture } from './support/gateway-fixture.js';
import { destroyRawClients, type ParsedResponse, parseResponses, RawClient } from './support/raw-client.js';
import { postRaw } from './support/raw-http.js';

const ACCOUNT = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

const call = (id: number, method: string, params: unknown[] = []) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, params });

/** One POST to the anvil network route, with extra header lines (each ending in CRLF). */
function post(body: string, extra = '', version = '1.1'): string {
  const head = `POST /anvil HTTP/${version}\r\nHost: gw\r\nContent-Type: application/json\r\n${extra}`;
  return `${head}content-length: ${body.length}\r\n\r\n${body}`;
}

const json = (res: ParsedResponse | undefined) => JSON.parse(res?.body ?? 'null') as Record<string, unknown>;
const errorCode = (res: ParsedResponse | undefined) =>
  (json(res).error as { data?: { code?: string } } | undefined)?.data?.code;

let anvil: AnvilNode;
let main: GatewayFixture;

beforeAll(async () => {
  anvil = await startAnvil();
  main = await startGatewayFixture({
    upstreamUrls: [anvil.url],
    server: { keepAliveTimeoutMs: 1_500, headersTimeoutMs: 1_500, requestTimeoutMs: 3_000 },
  });
});

afterAll(async () => {
  await main?.close();
  await anvil?.stop();
});

/** One request on a fresh connection that asks to close; the status and result it got. */
async function serveOnce(port: number): Promise<{ status: number | undefined; result: unknown }> {
  const client = new RawClient(port);
  client.write(post(call(7, 'eth_chainId'), 'Connection: close\r\n'));
  await client.closed;
  const [res] = parseResponses(client.text);
  return { status: res?.status, result: res === undefined ? undefined : json(res).result };
}

describe('HTTP/1.1 server', { timeout: 20_000 }, () => {
  afterEach(async () => {
    destroyRawClients();
    // After every kind of abuse, a new connection is still served.
    expect(await serveOnce(main.port)).toEqual({ status: 200, result: '0x7a69' });
  });

  it('answers three pipelined requests from one write in order', async () => {
    const client = new RawClient(main.port);
    client.write(
      post(call(1, 'eth_chainId')) +
        post(call(2, 'eth_getBalance', [ACCOUNT, 'latest'])) +
        post(call(3, 'eth_chainId'), 'Connection: close\r\n'),
    );
    await client.closed;
    const responses = parseResponses(client.text);
    expect(responses.map((res) => res.status)).toEqual([200, 200, 200]);
    expect(responses.map(json)).toEqual([
      { jsonrpc: '2.0', id: 1, result: '0x7a69' },
      { jsonrpc: '2.0', id: 2, result: '0x21e19e0c9bab2400000' },
      { jsonrpc: '2.0', id: 3, result: '0x7a69' },
    ]);
    expect(responses.map((res) => res.headers.connection)).toEqual([undefined, undefined, 'close']);
  });

  it('sends a response far over 16 KiB intact, then serves the next request on the same socket', async () => {
    const client = new RawClient(main.port);
    // 100 full genesis blocks: the body is written after its head (writev), not copied behind it.
    const batch = `[${Array.from({ length: 100 }, (_, i) => call(i, 'eth_getBlockByNumber', ['0x0', true])).join(',')}]`;
    client.write(post(batch));
    const [big] = await client.responses(1);
    client.write(post(call(101, 'eth_chainId'), 'Connection: close\r\n'));
    await client.closed;
    const [, next] = parseResponses(client.text);
    const entries = JSON.parse(big?.body ?? '[]') as { id: number; result: { number: string } }[];
    expect(Buffer.byteLength(big?.body ?? '', 'latin1')).toBeGreaterThan(16 * 1024);
    expect(Number(big?.headers['content-length'])).toBe(Buffer.byteLength(big?.body ?? '', 'latin1'));
    expect(entries.map((entry) => entry.id)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(entries.every((entry) => entry.result.number === '0x0')).toBe(true);
    expect(json(next)).toEqual({ jsonrpc: '2.0', id: 101, result: '0x7a69' });
  });

  it('every response carries a Date header', async () => {
    const client = new RawClient(main.port);
    client.write(post(call(1, 'eth_chainId')));
    client.write('GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\nNOT HTTP\r\n\r\n');
    await client.closed;
    const responses = parseResponses(client.text);
    expect(responses.map((res) => res.status)).toEqual([200, 200, 400]);
    for (const { headers } of responses) {
      expect(headers.date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      expect(new Date(headers.date!).toUTCString()).toBe(headers.date);
    }
  });

  it('sends 100 Continue for Expect: 100-continue, then the response once the body arrives', async () => {
    const client = new RawClient(main.port);
    const body = call(4, 'eth_chainId');
    client.write(post(body, 'Expect: 100-continue\r\n').slice(0, -body.length));
    expect(await client.until((text) => text.length >= CONTINUE.length)).toBe(CONTINUE);
    client.write(body);
    const [interim, final] = await client.responses(2);
    expect(interim?.status).toBe(100);
    expect(final?.status).toBe(200);
    expect(json(final)).toEqual({ jsonrpc: '2.0', id: 4, result: '0x7a69' });
  });

  it('sends 100 Continue for a pipelined Expect: 100-continue request once its turn comes', async () => {
    const client = new RawClient(main.port);
    const body = call(6, 'eth_chainId');
    client.write(
      post(call(5, 'eth_chainId')) + post(body, 'Expect: 100-continue\r\n').slice(0, -body.length),
    );
    const text = await client.until((received) => received.endsWith(CONTINUE));
    const [first, interim] = parseResponses(text);
    expect(json(first).id).toBe(5);
    expect(interim?.status).toBe(100);
    expect(text.endsWith(CONTINUE)).toBe(true);
    client.write(body);
    const responses = await client.responses(3);
    expect(json(responses[2])).toEqual({ jsonrpc: '2.0', id: 6, result: '0x7a69' });
  });

  it('answers HEAD /healthz with a content-length and no body', async () => {
    const client = new RawClient(main.port);
    client.write(
      'HEAD /healthz HTTP/1.1\r\nHost: gw\r\n\r\n' +
        'GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n',
    );
    await client.closed;
    const [head, get] = client.text.split(/(?=HTTP\/1\.1 \d{3} )/);
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/\r\ncontent-length: 15\r\n/);
    expect(head).toMatch(/\r\n\r\n$/);
    expect(parseResponses(get ?? '')).toMatchObject([{ status: 200, body: '{"status":"ok"}' }]);
  });

  it('closes an HTTP/1.0 connection without keep-alive after the response', async () => {
    const client = new RawClient(main.port);
    client.write(post(call(1, 'eth_chainId'), '', '1.0'));
    await client.closed;
    const responses = parseResponses(client.text);
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ status: 200, headers: { connection: 'close' } });
    expect(json(responses[0]).result).toBe('0x7a69');
  });

  it('keeps an HTTP/1.0 connection with Connection: keep-alive open', async () => {
    const client = new RawClient(main.port);
    client.write(post(call(1, 'eth_chainId'), 'Connection: keep-alive\r\n', '1.0'));
    const [first] = await client.responses(1);
    expect(first).toMatchObject({ status: 200, headers: { connection: 'keep-alive' } });
    client.write(post(call(2, 'eth_chainId'), '', '1.0'));
    await client.closed;
    const responses = parseResponses(client.text);
    expect(responses.map((res) => [json(res).id, res.headers.connection])).toEqual([
      [1, 'keep-alive'],
      [2, 'close'],
    ]);
  });

  it('closes an HTTP/1.1 connection after answering Connection: close, ignoring what follows', async () => {
    const client = new RawClient(main.port);
    client.write(post(call(1, 'eth_chainId'), 'Connection: close\r\n') + post(call(2, 'eth_chainId')));
    await client.closed;
    const responses = parseResponses(client.text);
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ status: 200, headers: { connection: 'close' } });
    expect(json(responses[0]).id).toBe(1);
  });

  it('answers a client that half-closes right after its request', async () => {
    const client = new RawClient(main.port);
    client.socket.end(post(call(1, 'eth_getBalance', [ACCOUNT, 'latest'])));
    await client.closed;
    const responses = parseResponses(client.text);
    expect(responses).toHaveLength(1);
    expect(json(responses[0])).toEqual({ jsonrpc: '2.0', id: 1, result: '0x21e19e0c9bab2400000' });
  });

  it('answers a valid request before garbage, then 400 and close', async () => {
    const client = new RawClient(main.port);
    client.write(`${post(call(1, 'eth_chainId'))}GARBAGE / HTTP/9\r\n\r\n${post(call(2, 'eth_chainId'))}`);
    await client.closed;
    const responses = parseResponses(client.text);
    expect(responses.map((res) => res.status)).toEqual([200, 400]);
    expect(json(responses[0]).id).toBe(1);
    expect(errorCode(responses[1])).toBe('ERR_MALFORMED_HTTP');
    expect(responses[1]?.headers.connection).toBe('close');
  });

  it('rejects Content-Length with Transfer-Encoding (400) and never runs the smuggled request', async () => {
    const client = new RawClient(main.port);
    const smuggled = 'GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n';
    client.write(
      'POST /anvil HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${5 + smuggled.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
    );
    await client.closed;
    const responses = parseResponses(client.text);
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ status: 400, headers: { connection: 'close' } });
    expect(errorCode(responses[0])).toBe('ERR_MALFORMED_HTTP');
  });

  it('closes an idle keep-alive connection after keepAliveTimeoutMs', async () => {
    const client = new RawClient(main.port);
    client.write(post(call(1, 'eth_chainId')));
    const [res] = await client.responses(1);
    expect(res?.status).toBe(200);
    expect(res?.headers.connection).toBeUndefined();
    await client.closed;
    expect(parseResponses(client.text)).toHaveLength(1);
    expect(client.socket.readableEnded).toBe(true);
  });

  it('answers 408 to a client sending its head slower than headersTimeoutMs', async () => {
    const client = new RawClient(main.port);
    const head = `POST /anvil HTTP/1.1\r\nHost: gw\r\nX-Slow: ${'s'.repeat(200)}\r\n\r\n`;
    let sent = 0;
    const drip = setInterval(() => {
      if (client.socket.writable && sent < head.length) client.write(head[sent++]!);
    }, 50);
    await client.closed;
    clearInterval(drip);
    expect(sent).toBeLessThan(head.length);
    const responses = parseResponses(client.text);
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ status: 408, headers: { connection: 'close' } });
    expect(errorCode(responses[0])).toBe('ERR_REQUEST_TIMEOUT');
  });
});

/** Polls with fresh connections until one is served (a closed slot may take a sweep to free). */
async function servedEventually(port: number): Promise<number | undefined> {
  let status: number | undefined;
  for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
    if (attempt > 0) await sleep(250);
    status = (await serveOnce(port)).status;
  }
  return status;
}

describe('random bytes on many connections', { timeout: 30_000 }, () => {
  it('every connection gets an HTTP answer or is closed, and the gateway keeps serving', async () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const valid = Buffer.from(post(call(1, 'eth_chainId')), 'latin1');
    const clients = Array.from({ length: 100 }, () => {
      // Pure noise, or a valid request with about 5 % of its bytes overwritten.
      const noise = next() < 0.5;
      const bytes = noise ? Buffer.alloc(50 + Math.floor(next() * 400)) : Buffer.from(valid);
      for (let i = 0; i < bytes.length; i++) if (noise || next() < 0.05) bytes[i] = Math.floor(next() * 256);
      const client = new RawClient(main.port);
      client.socket.end(bytes);
      return client;
    });
    await Promise.all(clients.map((client) => client.closed));
    for (const client of clients) {
      // Whatever it got is a well-formed HTTP response (or nothing, for a request still incomplete).
      if (client.text !== '') expect(client.text).toMatch(/^HTTP\/1\.1 \d{3} /);
    }
    expect((await serveOnce(main.port)).result).toBe('0x7a69');
  });
});

describe('connection slots (maxConnections: 2)', { timeout: 20_000 }, () => {
  let tight: GatewayFixture;

  beforeEach(async () => {
    tight = await startGatewayFixture({
      upstreamUrls: [anvil.url],
      server: { maxConnections: 2, maxBodyBytes: 1024, keepAliveTimeoutMs: 1_000, headersTimeoutMs: 1_000 },
    });
  });

  afterEach(async () => {
    destroyRawClients();
    await tight?.close();
  });

  it('frees the slot of a rejected client whose body arrived after the error response', async () => {
    for (let i = 0; i < 2; i++) {
      const client = new RawClient(tight.port, { allowHalfOpen: true });
      const body = call(1, 'eth_chainId', ['x'.repeat(2000)]);
      client.write(post(body).slice(0, -body.length));
      const [res] = await client.responses(1);
      expect(res?.status).toBe(413);
      // A client streaming its body after the head: it arrives after the 413, then the client leaves.
      client.socket.end(body);
      await client.closed;
    }
    expect(await servedEventually(tight.port)).toBe(200);
  });

  it('frees the slot of a client that keeps its side open after a connection: close response', async () => {
    for (let i = 0; i < 2; i++) {
      const client = new RawClient(tight.port, { allowHalfOpen: true });
      client.write(post(call(1, 'eth_chainId'), 'Connection: close\r\n'));
      await client.until(() => client.socket.readableEnded);
      expect(parseResponses(client.text)).toMatchObject([{ status: 200, headers: { connection: 'close' } }]);
    }
    expect(await servedEventually(tight.port)).toBe(200);
  });
});

describe('gateway.handler on a node:http server', () => {
  let gateway: Gateway;
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    gateway = createGateway({
      logging: { level: 'silent' },
      server: { maxBodyBytes: 1024 },
      networks: { anvil: { upstreams: [{ id: 'anvil-0', url: anvil.url }] } },
    });
    await gateway.start();
    server = http.createServer(gateway.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/anvil`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await gateway?.close(0);
  });

  it('serves a JSON-RPC request', async () => {
    const res = await postRaw(url, call(9, 'eth_getBalance', [ACCOUNT, 'latest']));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ jsonrpc: '2.0', id: 9, result: '0x21e19e0c9bab2400000' });
  });

  it('answers 413 to a body over maxBodyBytes', async () => {
    const res = await postRaw(url, call(1, 'eth_chainId', ['x'.repeat(2000)]));
    expect(res.status).toBe(413);
    expect((res.body as { error: { data: { code: string } } }).error.data.code).toBe('ERR_BODY_TOO_LARGE');
  });
});
