import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { GatewayError } from '../errors/gateway-error.js';
import { createLogger } from '../logging/logger.js';
import { RELAYER_MOUNTS } from '../relayer/api/relayer-paths.js';
import { Drain } from './drain.js';
import type { HttpRequest, ResponseHeaders } from './exchange.js';
import { type HttpRoute, HttpRouter, type RouteHandler } from './http-router.js';

const config = resolveConfig({
  logging: { level: 'silent' },
  networks: { eth: { upstreams: [{ id: 'a', url: 'http://127.0.0.1:1' }] } },
}).server;

/** A router over the gateway's top-level routes, each answering with its own name. */
function router(extra: readonly HttpRoute[] = []) {
  const drain = new Drain();
  const answer =
    (name: string): RouteHandler =>
    (_req, res, headers) => {
      res.end(200, headers, name);
      return undefined;
    };
  const routes: HttpRoute[] = [
    ...extra,
    { method: '*', path: '/admin/*', handler: answer('admin') },
    { method: 'GET', path: '/healthz', handler: answer('healthz') },
    { method: 'GET', path: '/readyz', handler: answer('readyz') },
    ...RELAYER_MOUNTS.map((mount) => ({ ...mount, handler: answer('relayer') })),
    { method: 'GET', path: '/metrics', handler: answer('metrics') },
  ];
  const http = new HttpRouter({
    config,
    drain,
    log: createLogger('silent'),
    logRequests: false,
    routes,
    fallback: answer('network'),
  });
  return {
    drain,
    call(method: string, url: string) {
      let seen: { status: number; headers: ResponseHeaders; body: unknown } | undefined;
      const req: HttpRequest = {
        method,
        url,
        headers: {},
        body: Buffer.alloc(0),
        remoteAddress: '127.0.0.1',
        receivedAt: performance.now(),
        completeAt: performance.now(),
      };
      http.handle(req, {
        end(status, headers, body) {
          seen = { status, headers, body };
        },
      });
      return seen;
    },
  };
}

describe('HttpRouter', () => {
  const { call, drain } = router();
  const to = (method: string, url: string) => call(method, url)?.body;

  it('keeps the precedence of the gateway: probes, /admin/, relayer paths, then networks', () => {
    expect(to('GET', '/healthz')).toBe('healthz');
    expect(to('HEAD', '/readyz?x=1')).toBe('readyz');
    expect(to('GET', '/metrics')).toBe('metrics');
    expect(to('POST', '/healthz')).toBe('network');
    expect(to('GET', '/admin/v1/plans')).toBe('admin');
    expect(to('OPTIONS', '/admin/anything')).toBe('admin');
    expect(to('GET', '/admin')).toBe('network');
    expect(to('POST', '/v1/transfers?wait=confirmed')).toBe('relayer');
    expect(to('DELETE', '/v1/transfers/a/b')).toBe('relayer');
    expect(to('GET', '/transfer/')).toBe('relayer');
    expect(to('POST', '/send-ft')).toBe('relayer');
    expect(to('GET', '/health')).toBe('relayer');
    expect(to('HEAD', '/health')).toBe('relayer');
    expect(to('GET', '/v1/openapi.json')).toBe('relayer');
    // POST /health stays a network's, as do other methods there and paths beside the relayer's.
    expect(to('POST', '/health')).toBe('network');
    expect(to('OPTIONS', '/health')).toBe('network');
    expect(to('POST', '/v1/openapi.json')).toBe('network');
    expect(to('POST', '/v1/other')).toBe('network');
    expect(to('POST', '/v1')).toBe('network');
    expect(to('POST', '/eth')).toBe('network');
    expect(to('POST', '/')).toBe('network');
    expect(to('POST', '*')).toBe('network');
  });

  it('gives every answer a request id and Server-Timing, and counts requests in flight', () => {
    const answer = call('POST', '/eth');
    expect(answer?.headers['x-request-id']).toEqual(expect.any(String));
    expect(answer?.headers['server-timing']).toMatch(/^total;dur=/);
    expect(drain.inflight).toBe(0);
  });

  it('answers what a route throws, synchronously or not, with its error', async () => {
    const failing = router([
      {
        method: 'GET',
        path: '/throws',
        handler: () => {
          throw new GatewayError('ERR_ROUTE_NOT_FOUND', 'thrown');
        },
      },
      {
        method: 'GET',
        path: '/rejects',
        handler: async () => {
          throw new Error('rejected');
        },
      },
    ]);
    expect(failing.call('GET', '/throws')?.status).toBe(404);
    failing.call('GET', '/rejects');
    await new Promise((resolve) => setImmediate(resolve));
    expect(failing.drain.inflight).toBe(0);
  });
});
