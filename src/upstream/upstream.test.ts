import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort } from '../../test/support/free-port.js';
import { type NetworkConfig, networkSchema } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { startAttempt } from '../failsafe/timeout.js';
import { Upstream } from './upstream.js';

interface Seen {
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let mode: 'ok' | 'hang' = 'ok';
const created: Upstream[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (mode === 'hang') return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"jsonrpc":"2.0","id":1,"result":"0x1"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  mode = 'ok';
  seen.length = 0;
  await Promise.all(created.splice(0).map((upstream) => upstream.destroy()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function upstream(url: string, extra: Record<string, unknown> = {}): Upstream {
  const config: NetworkConfig = networkSchema.parse({ upstreams: [{ url, ...extra }] });
  const instance = new Upstream(config.upstreams[0]!, 0, 'net', config);
  created.push(instance);
  return instance;
}

describe('Upstream', () => {
  it('gets a default id from the network and its index, and a redacted display URL', () => {
    const u = upstream(`http://user:pass@${base}/v3/0123456789abcdef0123456789abcdef?key=secret`);
    expect(u.id).toBe('net-0');
    expect(u.displayUrl).toBe(`http://***:***@${base}/v3/***?key=***`);
    expect(u.displayUrl).not.toContain('secret');
  });

  it('POSTs the exact bytes to the URL path and query, with basic auth and custom headers', async () => {
    const u = upstream(`http://alice:p%40ss@${base}/rpc/path?key=abc`, { headers: { 'x-api-key': 'k1' } });
    const body = '{"jsonrpc":"2.0","id":7,"method":"eth_blockNumber","params":[]}';
    const reply = await u.send(body, 5000);
    expect(reply.status).toBe(200);
    expect(reply.body.toString()).toBe('{"jsonrpc":"2.0","id":1,"result":"0x1"}');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('/rpc/path?key=abc');
    expect(seen[0]!.body).toBe(body);
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(seen[0]!.headers['x-api-key']).toBe('k1');
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('alice:p@ss').toString('base64')}`);
    expect(u.inflight).toBe(0);
    expect(u.lastUsedAt).toBeGreaterThan(0);
  });

  it('turns a refused connection into a retryable ERR_UPSTREAM_CONNECT', async () => {
    const port = await getFreePort();
    const u = upstream(`http://127.0.0.1:${port}`);
    const err = await u.send('{}', 5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('ERR_UPSTREAM_CONNECT');
    expect((err as GatewayError).retry).toBe('other');
    expect((err as GatewayError).message).toContain('ECONNREFUSED');
    expect(u.inflight).toBe(0);
  });

  it('turns its own timeout into ERR_UPSTREAM_TIMEOUT', async () => {
    mode = 'hang';
    const u = upstream(`http://${base}`);
    const err = await u.send('{}', 100).catch((e: unknown) => e);
    expect((err as GatewayError).code).toBe('ERR_UPSTREAM_TIMEOUT');
    expect(u.inflight).toBe(0);
  });

  it('a cancelled attempt (hedge loser) is reported as cancelled, not as a timeout', async () => {
    mode = 'hang';
    const u = upstream(`http://${base}`);
    const control = startAttempt(10_000);
    const pending = u.dispatch('{}', control).catch((e: unknown) => u.transportError(e, control));
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(u.inflight).toBe(1);
    control.abort(new Error('hedge lost'));
    const err = (await pending) as GatewayError;
    control.done();
    expect(err.code).toBe('ERR_UPSTREAM_CONNECT');
    expect(err.message).toContain('cancelled');
    expect(control.timedOut).toBe(false);
    expect(u.inflight).toBe(0);
  });

  it('is available unless excluded or its breaker is open; exclusion says why', () => {
    const u = upstream(`http://${base}`, {});
    expect(u.isAvailable()).toBe(true);
    u.lagging = true;
    expect(u.exclusionReason).toBe('lagging');
    expect(u.isAvailable()).toBe(false);
    u.chainIdMismatch = true;
    expect(u.exclusionReason).toBe('chain-id-mismatch');
    u.lagging = false;
    u.chainIdMismatch = false;
    expect(u.exclusionReason).toBeUndefined();
    for (let i = 0; i < 10; i++) u.breaker.recordFailure();
    expect(u.breaker.state).toBe('open');
    expect(u.isAvailable()).toBe(false);
  });

  it('noteHead keeps the highest head but always refreshes the time seen', () => {
    const u = upstream(`http://${base}`);
    u.noteHead(10, 1000);
    u.noteHead(8, 2000);
    expect(u.head).toBe(10);
    expect(u.headSeenAt).toBe(2000);
  });

  it('times out a request still queued behind a full pool, without waiting for a connection', async () => {
    mode = 'hang';
    const u = upstream(`http://${base}/`, { pool: { connections: 1 } });
    const first = u.send('{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}', 2_000);
    // The only connection is taken by the hung request: this one waits in undici's queue.
    const queued = u.send('{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber"}', 100);
    const error = await queued.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('ERR_UPSTREAM_TIMEOUT');
    // The hung request is still in flight; only the queued one gave up.
    expect(u.inflight).toBe(1);
    await first.catch(() => undefined);
    expect(u.inflight).toBe(0);
  });
});
