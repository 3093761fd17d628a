import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import type { CachedResult, KnownShape, NetworkCache } from '../cache/network-cache.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { RequestEndEvent } from '../events/channels.js';
import { plainBody, type ResponseBody } from '../http/exchange.js';
import type { Logger } from '../logging/logger.js';
import { requestShape } from '../rpc/request-shape.js';
import type { RpcRequest } from '../rpc/types.js';
import type { Access } from '../tenancy/access.js';
import type { Network } from './network.js';
import { runKnownShape, runRequest } from './pipeline.js';
import type { PipelineCall } from './pipeline-call.js';
import { StageTiming } from './stage-timing.js';

type Admission = GatewayError | undefined | Promise<GatewayError | undefined>;

/** An Access that admits as told and keeps what was metered. */
function fakeAccess(admission: Admission) {
  const records: [string, string, number][] = [];
  const access = {
    admit: () => admission,
    record: (method: string, outcome: string, bytes: number) => records.push([method, outcome, bytes]),
  };
  return { access: access as unknown as Access, records };
}

function fakeCall(options: {
  handle?: () => CachedResult | Promise<CachedResult>;
  cache?: Partial<NetworkCache>;
  access?: Access;
}) {
  const logged: unknown[] = [];
  const network = {
    name: 'eth',
    handle:
      options.handle ??
      (() => ({ ok: true, body: '{"jsonrpc":"2.0","id":1,"result":"0x1"}', rpcError: false })),
    cache: options.cache,
  };
  const call: PipelineCall = {
    network: network as unknown as Network,
    timing: new StageTiming(),
    access: options.access,
    log: { error: (fields: unknown) => logged.push(fields) } as unknown as Logger,
    requestId: 'req-1',
  };
  return { call, logged };
}

const text = (body: ResponseBody | undefined) =>
  body === undefined ? undefined : plainBody(body).toString();
const request = (extra: Partial<RpcRequest> = {}): RpcRequest => ({
  id: 1,
  method: 'eth_chainId',
  params: [],
  raw: Buffer.from('{}'),
  ...extra,
});

async function events(run: () => Promise<unknown>): Promise<RequestEndEvent[]> {
  const seen: RequestEndEvent[] = [];
  const listener = (message: unknown) => seen.push(message as RequestEndEvent);
  subscribe('turnpike:request:end', listener);
  try {
    await run();
  } finally {
    unsubscribe('turnpike:request:end', listener);
  }
  return seen;
}

describe('runRequest: admit → network → meter', () => {
  it('meters what was served, with its bytes, and publishes the request end', async () => {
    const { access, records } = fakeAccess(undefined);
    const { call } = fakeCall({ access });
    let entry: Awaited<ReturnType<typeof runRequest>> | undefined;
    const seen = await events(async () => {
      entry = await runRequest(call, request());
    });
    expect(entry).toMatchObject({ status: 200, body: '{"jsonrpc":"2.0","id":1,"result":"0x1"}' });
    expect(records).toEqual([['eth_chainId', 'ok', 39]]);
    expect(seen).toMatchObject([{ network: 'eth', method: 'eth_chainId', outcome: 'ok' }]);
  });

  it('a refusal (sync or not) is the entry and the outcome; nothing is forwarded', async () => {
    for (const admission of [
      new GatewayError('ERR_RATE_LIMITED', 'slow down'),
      Promise.resolve(new GatewayError('ERR_RATE_LIMITED', 'slow down')),
    ]) {
      const { access, records } = fakeAccess(admission);
      let forwarded = false;
      const { call } = fakeCall({
        access,
        handle: () => {
          forwarded = true;
          return { ok: false, error: new GatewayError('ERR_INTERNAL', 'x') };
        },
      });
      const entry = await runRequest(call, request({ rawId: '1e0' }));
      expect(forwarded).toBe(false);
      expect(entry.status).toBe(429);
      expect(text(entry.body)).toContain('"id":1e0');
      expect(records).toEqual([['eth_chainId', 'ERR_RATE_LIMITED', expect.any(Number)]]);
    }
  });

  it('logs an ERR_INTERNAL once, with the request id; a notification answers 204', async () => {
    const { call, logged } = fakeCall({
      handle: () => {
        throw new Error('bug');
      },
    });
    const entry = await runRequest(call, request({ id: undefined }));
    expect(entry).toEqual({ body: undefined, status: 204, cache: undefined });
    expect(logged).toMatchObject([{ requestId: 'req-1', network: 'eth', code: 'ERR_INTERNAL' }]);
  });
});

describe('runKnownShape: admit → cache hit → meter', () => {
  const body = Buffer.from('{"jsonrpc":"2.0","id":7,"method":"eth_getBalance","params":["0x1","0x2"]}');
  const shape = requestShape(body)!;
  const known: KnownShape = { key: 'k', method: 'eth_getBalance' };
  const cache = (value: Buffer | undefined) => {
    const counted = { hits: 0 };
    const fake: Partial<NetworkCache> = {
      knownShape: () => known,
      peekKnown: () => value,
      countKnownHit: () => void counted.hits++,
    };
    return { fake, counted };
  };

  it('is undefined when the in-process tier lost the answer (the usual path takes it)', () => {
    const { call } = fakeCall({ cache: cache(undefined).fake });
    expect(runKnownShape(call, shape, performance.now())).toBeUndefined();
    expect(call.timing.knownHit).toBe(false);
  });

  it('answers a hit synchronously under the id as sent, metered like any item', () => {
    const { access, records } = fakeAccess(undefined);
    const { fake, counted } = cache(Buffer.from('"0x10"'));
    const { call } = fakeCall({ cache: fake, access });
    const entry = runKnownShape(call, shape, performance.now());
    expect(entry).not.toBeInstanceOf(Promise);
    const hit = entry as Exclude<typeof entry, Promise<unknown> | undefined>;
    expect(text(hit.body)).toBe('{"jsonrpc":"2.0","id":7,"result":"0x10"}');
    expect(hit).toMatchObject({ status: 200, cache: 'HIT' });
    expect(counted.hits).toBe(1);
    expect(call.timing.knownHit).toBe(true);
    expect(records).toEqual([['eth_getBalance', 'ok', Buffer.byteLength(text(hit.body)!)]]);
  });

  it('a refusal waited for is the entry; the hit is not counted', async () => {
    const { access, records } = fakeAccess(
      Promise.resolve(new GatewayError('ERR_RATE_LIMITED', 'slow down')),
    );
    const { fake, counted } = cache(Buffer.from('"0x10"'));
    const { call } = fakeCall({ cache: fake, access });
    const entry = await runKnownShape(call, shape, performance.now());
    expect(entry?.status).toBe(429);
    expect(text(entry?.body)).toContain('"id":7');
    expect(counted.hits).toBe(0);
    expect(records[0]?.[1]).toBe('ERR_RATE_LIMITED');
  });
});
