/**
 * What one client can make the HTTP/1.1 server hold, over real loopback sockets against an
 * Http1Server with a plain handler: chunked bodies in tiny chunks, partial bodies on many
 * connections (the worker-wide bound, 503), pipelined requests whose answers are not read,
 * stray CRLFs on an idle connection, and a half-close behind a partial request. Assertions are
 * on bytes and counts, never on durations.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeHandler } from '../src/http/exchange.js';
import { nodeHttpHandler } from '../src/http/http1/node-adapter.js';
import { Http1Server, type Http1ServerOptions } from '../src/http/http1/server.js';
import { destroyRawClients, type ParsedResponse, parseResponses, RawClient } from './support/raw-client.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const DEFAULTS: Http1ServerOptions = {
  maxHeaderBytes: 16_384,
  maxBodyBytes: 1_048_576,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 1_000,
  maxBufferedRequestBytes: 64 * 1_048_576,
};

const servers: Http1Server[] = [];

async function start(options: Partial<Http1ServerOptions>, handler: ExchangeHandler) {
  const server = new Http1Server({ ...DEFAULTS, ...options }, handler);
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

afterEach(async () => {
  destroyRawClients();
  for (const server of servers.splice(0)) {
    server.destroyAll();
    await server.close();
  }
});

/** Waits (polling) until `done()` holds; the test's own timeout bounds it. */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await sleep(5);
}

const errorCode = (res: ParsedResponse | undefined) =>
  (JSON.parse(res?.body ?? '{}') as { error?: { data?: { code?: string } } }).error?.data?.code;

/** Answers the body's length. */
const echoLength: ExchangeHandler = (request, writer) =>
  writer.end(200, { 'content-type': 'text/plain' }, String(request.body.length));

describe('chunked bodies in tiny chunks', { timeout: 60_000 }, () => {
  it('1,000,000 one-byte chunks hold at most maxBodyBytes plus a constant', async () => {
    const { maxBodyBytes, maxHeaderBytes } = DEFAULTS;
    let heapGrowth = -1;
    let base = 0;
    const { server, port } = await start({}, (request, writer) => {
      // Sampled before anything is collected: what decoding kept alive is still counted.
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      heapGrowth = heapUsed + arrayBuffers - base;
      echoLength(request, writer);
    });
    const chunks = Buffer.from('1\r\nx\r\n'.repeat(1_000_000), 'latin1');
    gc();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    base = heapUsed + arrayBuffers;
    const client = new RawClient(port);
    client.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
    client.socket.write(chunks);
    client.write('0\r\n\r\n');
    const [res] = await client.responses(1);
    expect(res).toMatchObject({ status: 200, body: '1000000' });
    // The decoded bytes live in one buffer (at most the body limit); heads and reads are small.
    const { peakBufferedRequestBytes, bufferedRequestBytes } = server.stats();
    expect(peakBufferedRequestBytes).toBeGreaterThanOrEqual(1_000_000);
    expect(peakBufferedRequestBytes).toBeLessThanOrEqual(maxBodyBytes + maxHeaderBytes + 65_536);
    expect(bufferedRequestBytes).toBe(0);
    // A Buffer per chunk kept ~100 MB alive here; the body and the reads are ~8 MB.
    expect(heapGrowth).toBeGreaterThan(0);
    expect(heapGrowth).toBeLessThan(40 * 1_048_576);
  });
});

describe('gateway.handler on node:http', { timeout: 60_000 }, () => {
  it('reads 100,000 one-byte chunks into one body', async () => {
    const server = http.createServer(nodeHttpHandler(echoLength, DEFAULTS.maxBodyBytes));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new RawClient((server.address() as AddressInfo).port);
      client.write('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
      client.write(`${'1\r\nx\r\n'.repeat(100_000)}0\r\n\r\n`);
      expect(await client.responses(1)).toMatchObject([{ status: 200, body: '100000' }]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('server.maxBufferedRequestBytes', { timeout: 60_000 }, () => {
  it('answers 503 ERR_SERVER_BUSY to connections beyond the bound and never holds more', async () => {
    const limit = 256 * 1024;
    const { server, port } = await start(
      { maxBodyBytes: 65_536, maxBufferedRequestBytes: limit },
      echoLength,
    );
    const head = 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65536\r\n\r\n';
    const clients: RawClient[] = [];
    for (let i = 0; i < 8; i++) {
      const before = server.stats().bufferedRequestBytes;
      const client = new RawClient(port);
      clients.push(client);
      // A head and 60,000 of the 65,536 body bytes; the rest is withheld.
      client.write(head + 'x'.repeat(60_000));
      await until(() => client.text !== '' || server.stats().bufferedRequestBytes >= before + 60_000);
    }
    const holding = clients.filter((client) => client.text === '');
    const refused = clients.filter((client) => client.text !== '');
    expect(holding.length).toBeGreaterThanOrEqual(3);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const client of refused) {
      await client.closed;
      const [res] = parseResponses(client.text);
      expect(res).toMatchObject({ status: 503, headers: { 'retry-after': '1', connection: 'close' } });
      expect(errorCode(res)).toBe('ERR_SERVER_BUSY');
    }
    expect(server.stats().peakBufferedRequestBytes).toBeLessThanOrEqual(limit);
    // The connections that fit finish their requests; their bytes are released.
    for (const client of holding) client.write('y'.repeat(5_536));
    for (const client of holding)
      expect(await client.responses(1)).toMatchObject([{ status: 200, body: '65536' }]);
    expect(server.stats().bufferedRequestBytes).toBe(0);
    // Bytes of connections that vanish mid-body are released too.
    const gone = new RawClient(port);
    gone.write(head + 'x'.repeat(60_000));
    await until(() => server.stats().bufferedRequestBytes >= 60_000);
    gone.socket.destroy();
    await until(() => server.stats().bufferedRequestBytes === 0);
  });
});

describe('pipelined requests whose answers are not read', { timeout: 60_000 }, () => {
  it('dispatches at most 16 requests ahead of what the client drained, then answers all 2,000 in order', async () => {
    const answer = 16_384;
    let dispatched = 0;
    let maxAhead = 0;
    const { server, port } = await start({}, (request, writer) => {
      dispatched++;
      // Answers written before this one and still in the process (not taken by the kernel
      // towards the client), plus this one: requests dispatched ahead of what was drained.
      const ahead = Math.ceil(server.stats().bufferedResponseBytes / answer) + 1;
      maxAhead = Math.max(maxAhead, ahead);
      const index = request.url.slice(1).padStart(6, '0');
      writer.end(200, { 'content-type': 'text/plain' }, index + 'a'.repeat(answer - index.length));
    });
    const client = new RawClient(port);
    client.socket.pause();
    let requests = '';
    for (let i = 0; i < 2_000; i++)
      requests += `GET /${i} HTTP/1.1\r\nHost: a\r\n${i === 1_999 ? 'Connection: close\r\n' : ''}\r\n`;
    client.write(requests);
    // Until an answer waits in the process: the kernel's buffers towards the client are full.
    await until(() => server.stats().bufferedResponseBytes > 0);
    expect(dispatched).toBeLessThan(2_000);
    expect(maxAhead).toBeLessThanOrEqual(16);
    client.socket.resume();
    // The last request closes the connection; 32 MB are parsed once, not on every read.
    await client.closed;
    const responses = parseResponses(client.text);
    expect(responses).toHaveLength(2_000);
    expect(responses.map((res) => Number(res.body.slice(0, 6)))).toEqual(
      Array.from({ length: 2_000 }, (_, i) => i),
    );
    expect(dispatched).toBe(2_000);
    expect(maxAhead).toBeLessThanOrEqual(16);
  });
});

describe('idle connections', { timeout: 60_000 }, () => {
  it('stray CRLFs do not keep an idle connection open past keepAliveTimeoutMs', async () => {
    const { port } = await start({ keepAliveTimeoutMs: 1_000, headersTimeoutMs: 1_000 }, echoLength);
    const client = new RawClient(port);
    client.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(await client.responses(1)).toMatchObject([{ status: 200 }]);
    // Faster than the timeout, for as long as the connection stays open.
    const keepAlive = setInterval(() => client.write('\r\n'), 300);
    await client.closed;
    clearInterval(keepAlive);
    // Closed by the server: by the idle timeout, or a 400 once too many empty lines came.
    const [, extra] = parseResponses(client.text);
    if (extra !== undefined) expect(errorCode(extra)).toBe('ERR_MALFORMED_HTTP');
  });

  it('answers 400 to a connection that sends only empty lines, past 32 bytes of them', async () => {
    const { port } = await start({}, echoLength);
    const client = new RawClient(port);
    client.write('\r\n'.repeat(40));
    await client.closed;
    const [res] = parseResponses(client.text);
    expect(res).toMatchObject({ status: 400, headers: { connection: 'close' } });
    expect(errorCode(res)).toBe('ERR_MALFORMED_HTTP');
  });
});

describe('a client that half-closes behind a partial request', { timeout: 60_000 }, () => {
  const complete = 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}';

  it.each([
    ['one byte', 'P'],
    ['a partial head', 'GET / HTTP/1.1\r\nHo'],
    ['a partial body', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n{'],
  ])('answers the complete request, then closes behind %s', async (_name, partial) => {
    // Answered only once the server has seen the FIN. Kept open behind the partial request,
    // the connection would get a 408 at the (short) header timeout instead of closing.
    const { port } = await start({ headersTimeoutMs: 1_000, requestTimeoutMs: 1_000 }, (request, writer) => {
      writer.onClientGone?.(() => echoLength(request, writer));
    });
    const client = new RawClient(port);
    client.socket.end(complete + partial);
    await client.closed;
    expect(parseResponses(client.text)).toMatchObject([{ status: 200, body: '2' }]);
  });

  it('sends all of an answer still waiting in the process before it closes', async () => {
    const size = 32 * 1_048_576;
    let sawEnd!: () => void;
    const ended = new Promise<void>((resolve) => {
      sawEnd = resolve;
    });
    const { server, port } = await start({}, (_request, writer) => {
      writer.onClientGone?.(sawEnd);
      writer.end(200, { 'content-type': 'text/plain' }, Buffer.alloc(size, 'a'));
    });
    const client = new RawClient(port);
    client.socket.pause();
    client.write(`${complete}GET / HTTP/1.1\r\nHo`);
    await until(() => server.stats().bufferedResponseBytes > 0);
    client.socket.end();
    await ended;
    // The FIN was handled while the kernel's buffers towards the client were full.
    expect(server.stats().bufferedResponseBytes).toBeGreaterThan(0);
    client.socket.resume();
    await client.closed;
    const responses = parseResponses(client.text);
    expect(responses.map((res) => [res.status, res.body.length])).toEqual([[200, size]]);
  });
});

describe('repeated single-valued headers', () => {
  it.each([
    ['Content-Type', 'Content-Type: application/json\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n'],
    ['Content-Length', 'Content-Length: 2\r\nContent-Length: 2\r\n'],
    ['Transfer-Encoding', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'],
    ['Host', 'Host: b\r\nContent-Length: 2\r\n'],
  ])('refuses a repeated %s with 400 ERR_MALFORMED_HTTP and closes', async (_name, fields) => {
    let handled = 0;
    const { port } = await start({}, (request, writer) => {
      handled++;
      echoLength(request, writer);
    });
    const client = new RawClient(port);
    client.write(`POST / HTTP/1.1\r\nHost: a\r\n${fields}\r\n{}`);
    await client.closed;
    const responses = parseResponses(client.text);
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ status: 400, headers: { connection: 'close' } });
    expect(errorCode(responses[0])).toBe('ERR_MALFORMED_HTTP');
    expect(handled).toBe(0);
  });
});
