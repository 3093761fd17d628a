import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Fault, type FaultProxy, startFaultProxy } from '../../test/support/fault-proxy.js';
import { type NetworkConfig, networkSchema } from '../config/schema.js';
import { type AnvilNode, startAnvil } from '../dev/anvil.js';
import type { RpcRequest } from '../rpc/types.js';
import type { ForwardResult, ForwardTiming } from '../upstream/forward-result.js';
import { Network } from './network.js';

let node: AnvilNode;
const proxies: FaultProxy[] = [];
const networks: Network[] = [];
const silent = { warn() {}, info() {} };

beforeAll(async () => {
  node = await startAnvil();
  for (let i = 0; i < 3; i++) proxies.push(await startFaultProxy(node.url));
});

afterEach(async () => {
  await Promise.all(networks.splice(0).map((network) => network.close()));
  for (const proxy of proxies) {
    proxy.setFault(null);
    proxy.resetStats();
  }
});

afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await node?.stop();
});

/**
 * A network over the first `count` proxies. The first upstream gets a huge weight so it is
 * always tried first (its score stays lowest), which makes the retry order deterministic.
 */
function network(count: number, failsafe: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const config: NetworkConfig = networkSchema.parse({
    chainId: 31337,
    upstreams: proxies.slice(0, count).map((proxy, index) => ({
      id: `p${index}`,
      url: proxy.url,
      weight: index === 0 ? 1_000_000 : 1,
    })),
    failsafe: { attemptTimeoutMs: 2000, deadlineMs: 10_000, breaker: { minRequests: 100 }, ...failsafe },
    ...extra,
  });
  const instance = new Network('test', config, silent);
  networks.push(instance);
  return instance;
}

function request(method: string, params: unknown[] = [], id: number | undefined = 1): RpcRequest {
  const object =
    id === undefined ? { jsonrpc: '2.0', method, params } : { jsonrpc: '2.0', id, method, params };
  return { id, method, params, raw: Buffer.from(JSON.stringify(object)) };
}

function timing(): ForwardTiming {
  return { selectMs: 0, upstreamMs: 0, attempts: 0, upstream: undefined, cacheMs: undefined };
}

function body(result: ForwardResult): { result?: unknown; error?: { code: number; message: string } } {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}`);
  return JSON.parse(result.body.toString());
}

function fault(index: number, value: Fault | readonly Fault[] | null): void {
  proxies[index]!.setFault(value);
}

describe('forward', () => {
  it('retries a failed attempt on a different upstream and reports where it was answered', async () => {
    const net = network(2);
    fault(0, { kind: 'status', status: 503 });
    const t = timing();
    const result = await net.handle(
      request('eth_getBalance', ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', 'latest']),
      t,
    );
    expect(BigInt(body(result).result as string)).toBeGreaterThan(0n);
    expect(t.attempts).toBe(2);
    expect(t.upstream).toBe('p1');
    expect(proxies[0]!.stats.faulted).toBe(1);
    expect(proxies[1]!.stats.forwarded).toBe(1);
  });

  for (const [name, value] of [
    ['garbage', { kind: 'garbage' }],
    ['reset', { kind: 'reset' }],
    ['truncate', { kind: 'truncate' }],
    ['429', { kind: 'status', status: 429 }],
    ['-32005', { kind: 'rpc-error', code: -32005, message: 'limit exceeded' }],
    ['header not found', { kind: 'rpc-error', code: -32000, message: 'header not found' }],
  ] as const) {
    it(`retries after ${name}`, async () => {
      const net = network(2);
      fault(0, value);
      const t = timing();
      const result = await net.handle(request('eth_gasPrice'), t);
      expect(body(result).result).toMatch(/^0x[0-9a-f]+$/);
      expect(t.attempts).toBe(2);
      expect(proxies[0]!.stats.faulted).toBe(1);
    });
  }

  it('passes a request error through without retrying', async () => {
    const net = network(2);
    fault(0, { kind: 'rpc-error', code: 3, message: 'execution reverted: nope' });
    const t = timing();
    const result = await net.handle(
      request('eth_call', [{ to: '0x0000000000000000000000000000000000000001' }]),
      t,
    );
    expect(result.ok && result.rpcError).toBe(true);
    expect(body(result).error).toEqual({ code: 3, message: 'execution reverted: nope' });
    expect(t.attempts).toBe(1);
    expect(proxies[1]!.stats.requests).toBe(0);
  });

  it('never retries a method marked retry: false (eth_sendTransaction)', async () => {
    const net = network(2);
    fault(0, { kind: 'status', status: 503 });
    const t = timing();
    const result = await net.handle(request('eth_sendTransaction', [{}]), t);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('ERR_UPSTREAM_HTTP_STATUS');
    expect(t.attempts).toBe(1);
    expect(proxies[1]!.stats.requests).toBe(0);
  });

  it('stops after maxAttempts', async () => {
    const net = network(3, { retry: { maxAttempts: 2 } });
    for (let i = 0; i < 3; i++) fault(i, { kind: 'status', status: 502 });
    const t = timing();
    const result = await net.handle(request('eth_gasPrice'), t);
    expect(!result.ok && result.error.code).toBe('ERR_UPSTREAM_HTTP_STATUS');
    expect(t.attempts).toBe(2);
    expect(proxies.reduce((sum, proxy) => sum + proxy.stats.requests, 0)).toBe(2);
  });

  it('tries every upstream once before going back to one already tried', async () => {
    const net = network(3, { retry: { maxAttempts: 5 } });
    for (let i = 0; i < 3; i++) fault(i, { kind: 'status', status: 503 });
    const t = timing();
    await net.handle(request('eth_gasPrice'), t);
    expect(t.attempts).toBe(5);
    for (const proxy of proxies) expect(proxy.stats.requests).toBeGreaterThanOrEqual(1);
  });

  it('retries on the only upstream when there is no other', async () => {
    const net = network(1, { retry: { maxAttempts: 3 } });
    fault(0, { kind: 'status', status: 503, probability: 1 });
    const t = timing();
    const result = await net.handle(request('eth_gasPrice'), t);
    expect(result.ok).toBe(false);
    expect(proxies[0]!.stats.requests).toBe(3);
  });

  it('answers ERR_NO_UPSTREAM when every upstream is excluded or open', async () => {
    const net = network(2);
    net.upstreams[0]!.lagging = true;
    for (let i = 0; i < 200; i++) net.upstreams[1]!.breaker.recordFailure();
    const t = timing();
    const result = await net.handle(request('eth_gasPrice'), t);
    expect(!result.ok && result.error.code).toBe('ERR_NO_UPSTREAM');
    expect(!result.ok && result.error.httpStatus).toBe(503);
    expect(t.attempts).toBe(0);
    expect(proxies[0]!.stats.requests + proxies[1]!.stats.requests).toBe(0);
  });

  it('gives up with ERR_DEADLINE_EXCEEDED when the deadline passes', async () => {
    const net = network(2, { attemptTimeoutMs: 300, deadlineMs: 500, retry: { maxAttempts: 5 } });
    fault(0, { kind: 'hang' });
    fault(1, { kind: 'hang' });
    const result = await net.handle(request('eth_gasPrice'), timing());
    expect(!result.ok && result.error.code).toBe('ERR_DEADLINE_EXCEEDED');
    expect(!result.ok && result.error.httpStatus).toBe(504);
  });

  it('answers eth_chainId locally, and learns heads from eth_blockNumber', async () => {
    const net = network(1);
    const chain = await net.handle(request('eth_chainId', [], 9), timing());
    expect(body(chain)).toMatchObject({ id: 9, result: '0x7a69' });
    expect(proxies[0]!.stats.requests).toBe(0);
    expect(net.upstreams[0]!.head).toBe(-1);
    await net.handle(request('eth_blockNumber'), timing());
    expect(net.upstreams[0]!.head).toBeGreaterThanOrEqual(0);
  });

  it('learns heads from eth_getBlockByNumber("latest") but not from an older block', async () => {
    const net = network(1);
    await net.handle(request('evm_mine'), timing());
    await net.handle(request('eth_getBlockByNumber', ['0x0', false]), timing());
    expect(net.upstreams[0]!.head).toBe(-1);
    const latest = await net.handle(request('eth_getBlockByNumber', ['latest', false]), timing());
    const number = Number.parseInt((body(latest).result as { number: string }).number, 16);
    expect(number).toBeGreaterThan(0);
    expect(net.upstreams[0]!.head).toBe(number);
  });

  it('gives notifications a synthetic id upstream', async () => {
    const net = network(1);
    const result = await net.handle(request('eth_gasPrice', [], undefined), timing());
    expect(result.ok).toBe(true);
    expect(proxies[0]!.stats.forwarded).toBe(1);
  });

  it('recovers eth_sendRawTransaction "already known" as success with the hash', async () => {
    const net = network(1);
    // Anvil's second test key; a nonce far ahead keeps the transaction queued instead of mined.
    const { privateKeyToAccount } = await import('viem/accounts');
    const { keccak256 } = await import('viem');
    const account = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
    const raw = await account.signTransaction({
      chainId: 31337,
      nonce: 1000,
      to: '0x0000000000000000000000000000000000000001',
      value: 1n,
      gas: 21_000n,
      maxFeePerGas: 100_000_000_000n,
      maxPriorityFeePerGas: 1n,
    });
    const first = await net.handle(request('eth_sendRawTransaction', [raw]), timing());
    expect(body(first).result).toBe(keccak256(raw));
    const again = await net.handle(request('eth_sendRawTransaction', [raw], 2), timing());
    expect(again.ok && again.rpcError).toBe(false);
    expect(body(again)).toMatchObject({ id: 2, result: keccak256(raw) });
    expect(proxies[0]!.stats.byMethod.get('eth_sendRawTransaction')).toBe(2);
  });

  it('bounds the "nonce too low" lookup by what is left of the deadline, not the attempt timeout', async () => {
    const net = network(1, { attemptTimeoutMs: 60_000, deadlineMs: 400 });
    fault(0, [
      { kind: 'rpc-error', code: -32000, message: 'nonce too low', methods: ['eth_sendRawTransaction'] },
      { kind: 'hang', methods: ['eth_getTransactionByHash'] },
    ]);
    const raw = `0x02f86a827a69808080809400000000000000000000000000000000000000010180c080a0${'11'.repeat(32)}`;
    // Without the bound this waits for the 60 s attempt timeout and the test times out.
    const result = await net.handle(request('eth_sendRawTransaction', [raw]), timing());
    expect(body(result)).toMatchObject({ id: 1, error: { code: -32000, message: 'nonce too low' } });
    expect(proxies[0]!.stats.byMethod.get('eth_getTransactionByHash')).toBe(1);
  }, 10_000);

  it('is ready only when an upstream with a known chain id is available', async () => {
    const net = network(1);
    expect(net.isReady()).toBe(false);
    await net.start();
    expect(net.isReady()).toBe(true);
    net.upstreams[0]!.lagging = true;
    expect(net.isReady()).toBe(false);
  });
});
