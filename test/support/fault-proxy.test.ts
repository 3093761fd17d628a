import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../../src/dev/anvil.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { postJson, rpc } from './rpc.js';

let node: AnvilNode;
let proxy: FaultProxy;

beforeAll(async () => {
  node = await startAnvil();
  proxy = await startFaultProxy(node.url);
});

afterEach(() => {
  proxy.setFault(null);
  proxy.resetStats();
});

afterAll(async () => {
  await proxy?.close();
  await node?.stop();
});

function errorText(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  return [e.name, e.code, e.message, e.cause?.code].join(' ');
}

describe('fault proxy', () => {
  it('passes requests through and counts them', async () => {
    const res = await rpc(proxy.url, 'eth_chainId', [], { id: 7 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ jsonrpc: '2.0', id: 7, result: '0x7a69' });
    await postJson(proxy.url, [
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
      { jsonrpc: '2.0', id: 2, method: 'eth_blockNumber', params: [] },
    ]);
    expect(proxy.stats).toMatchObject({ requests: 2, forwarded: 2, faulted: 0 });
    expect(proxy.stats.byMethod).toEqual(
      new Map([
        ['eth_chainId', 2],
        ['eth_blockNumber', 1],
      ]),
    );
  });

  it('answers with a status fault', async () => {
    proxy.setFault({ kind: 'status', status: 429, body: 'slow down', headers: { 'retry-after': '2' } });
    const res = await rpc(proxy.url, 'eth_chainId');
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.text).toBe('slow down');
    expect(proxy.stats).toMatchObject({ requests: 1, forwarded: 0, faulted: 1 });
  });

  it('answers with a JSON-RPC error echoing the id (single and batch)', async () => {
    proxy.setFault({ kind: 'rpc-error', code: -32005, message: 'limit exceeded' });
    const res = await rpc(proxy.url, 'eth_chainId', [], { id: 'abc' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      jsonrpc: '2.0',
      id: 'abc',
      error: { code: -32005, message: 'limit exceeded' },
    });
    const batch = await postJson(proxy.url, [
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
      { jsonrpc: '2.0', id: 2, method: 'eth_chainId' },
    ]);
    expect((batch.body as { id: number }[]).map((item) => item.id)).toEqual([1, 2]);
  });

  it('answers with garbage that is not JSON', async () => {
    proxy.setFault({ kind: 'garbage' });
    const res = await rpc(proxy.url, 'eth_chainId');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.text.length).toBeGreaterThan(0);
    expect(res.body).toBeUndefined();
  });

  it('truncates the body', async () => {
    proxy.setFault({ kind: 'truncate' });
    const err = await rpc(proxy.url, 'eth_chainId').catch((e: unknown) => e);
    expect(errorText(err)).toMatch(/other side closed|ECONNRESET|UND_ERR_SOCKET/);
  });

  it('resets the connection', async () => {
    proxy.setFault({ kind: 'reset' });
    const err = await rpc(proxy.url, 'eth_chainId').catch((e: unknown) => e);
    expect(errorText(err)).toMatch(/ECONNRESET|other side closed|UND_ERR_SOCKET/);
  });

  it('hangs until the client times out', async () => {
    proxy.setFault({ kind: 'hang' });
    const started = performance.now();
    const err = await rpc(proxy.url, 'eth_chainId', [], { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(errorText(err)).toMatch(/TimeoutError/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('adds latency, then forwards', async () => {
    proxy.setFault({ kind: 'latency', ms: 200 });
    const started = performance.now();
    const res = await rpc(proxy.url, 'eth_chainId');
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(res.body).toMatchObject({ result: '0x7a69' });
    expect(proxy.stats).toMatchObject({ forwarded: 1, faulted: 1 });
  });

  it('faults only the methods in the filter (a batch matches if any item does)', async () => {
    proxy.setFault({ kind: 'status', status: 503, methods: ['eth_blockNumber'] });
    expect((await rpc(proxy.url, 'eth_chainId')).status).toBe(200);
    expect((await rpc(proxy.url, 'eth_blockNumber')).status).toBe(503);
    const batch = await postJson(proxy.url, [
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
      { jsonrpc: '2.0', id: 2, method: 'eth_blockNumber' },
    ]);
    expect(batch.status).toBe(503);
    expect(proxy.stats).toMatchObject({ requests: 3, forwarded: 1, faulted: 2 });
  });

  it('applies the probability per request', async () => {
    proxy.setFault({ kind: 'status', status: 503, probability: 0 });
    expect((await rpc(proxy.url, 'eth_chainId')).status).toBe(200);
    proxy.setFault({ kind: 'status', status: 503, probability: 0.5 });
    let faulted = 0;
    for (let i = 0; i < 60; i++) if ((await rpc(proxy.url, 'eth_chainId')).status === 503) faulted++;
    expect(faulted).toBeGreaterThan(5);
    expect(faulted).toBeLessThan(55);
    expect(() => proxy.setFault({ kind: 'garbage', probability: 2 })).toThrow(RangeError);
  });

  it('pauses (connections refused) and resumes on the same port', async () => {
    expect((await rpc(proxy.url, 'eth_chainId')).status).toBe(200);
    await proxy.pause();
    const err = await rpc(proxy.url, 'eth_chainId').catch((e: unknown) => e);
    expect(errorText(err)).toMatch(/ECONNREFUSED|other side closed|UND_ERR_SOCKET/);
    await proxy.resume();
    expect((await rpc(proxy.url, 'eth_chainId')).status).toBe(200);
  });

  it('answers 502 when the upstream is gone, and close() ends hanging requests', async () => {
    const lone = await startAnvil();
    const own = await startFaultProxy(lone.url);
    expect((await rpc(own.url, 'eth_chainId')).status).toBe(200);
    lone.kill('SIGKILL');
    await lone.exited;
    expect((await rpc(own.url, 'eth_chainId')).status).toBe(502);

    own.setFault({ kind: 'hang' });
    const pending = rpc(own.url, 'eth_chainId').catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await own.close();
    expect(errorText(await pending)).toMatch(/other side closed|ECONNRESET|UND_ERR_SOCKET/);
  });
});
