/**
 * The shared Redis tier between two gateway instances: a miss on one is a hit on the other,
 * identical requests at both make one upstream call, and Redis dying mid-run costs nothing but
 * hits (requests keep being served, failures are counted).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { REDIS_URL, randomName } from './support/databases.js';
import { startFaultProxy } from './support/fault-proxy.js';
import { getFreePort } from './support/free-port.js';
import { rpc } from './support/rpc.js';

let anvil: AnvilNode;

beforeAll(async () => {
  anvil = await startAnvil();
  await rpc(anvil.url, 'anvil_mine', ['0x20']);
});

afterAll(async () => {
  await anvil?.stop();
});

async function instance(
  redisUrl: string,
  prefix: string,
  upstream = anvil.url,
): Promise<{ gateway: Gateway; url: string }> {
  const gateway = createGateway({
    logging: { level: 'silent' },
    storage: { redisUrl, redisKeyPrefix: prefix },
    networks: {
      anvil: {
        upstreams: [{ url: upstream }],
        cache: { finality: 'depth', depth: 5, headPollMs: 50 },
      },
    },
  });
  const { url } = await gateway.listen(0, '127.0.0.1');
  return { gateway, url: `${url}/anvil` };
}

/** Asks until the tracker knows the chain (the first block-number request starts it). */
async function cacheable(url: string, params: unknown[]): Promise<string | undefined> {
  let status: string | undefined;
  await expect
    .poll(async () => {
      status = (await rpc(url, 'eth_getBlockByNumber', params)).headers['x-cache'] as string | undefined;
      return status;
    })
    .toBeDefined();
  return status;
}

describe('two instances sharing the Redis tier', () => {
  it('a miss on one is a hit on the other', async () => {
    const prefix = `${randomName('tpcache')}:`;
    const a = await instance(REDIS_URL, prefix);
    const b = await instance(REDIS_URL, prefix);
    try {
      await cacheable(a.url, ['0x1', false]);
      await cacheable(b.url, ['0x1', false]);
      const onA = await rpc(a.url, 'eth_getBlockByNumber', ['0x7', true]);
      expect(onA.headers['x-cache']).toBe('MISS');
      // The Redis write happens after A's answer; B finds it there (not in its own memory).
      await expect
        .poll(async () => (await rpc(b.url, 'eth_getBlockByNumber', ['0x7', true])).headers['x-cache'])
        .toBe('HIT');
      const onB = await rpc(b.url, 'eth_getBlockByNumber', ['0x7', true]);
      expect(onB.body).toEqual(onA.body);
      // B never asked an upstream for a cacheable block: both came from A's writes to Redis.
      expect(b.gateway.networks.get('anvil')!.cache!.stats.misses).toBe(0);
    } finally {
      await Promise.all([a.gateway.close(500), b.gateway.close(500)]);
    }
  });

  it('a burst of identical requests at both instances makes one upstream call (fill lock)', async () => {
    const prefix = `${randomName('tpcache')}:`;
    // Slow the upstream a little so both instances' requests overlap the one call.
    const proxy = await startFaultProxy(anvil.url);
    const a = await instance(REDIS_URL, prefix, proxy.url);
    const b = await instance(REDIS_URL, prefix, proxy.url);
    try {
      await cacheable(a.url, ['0x1', false]);
      await cacheable(b.url, ['0x1', false]);
      proxy.setFault({ kind: 'latency', ms: 150, methods: ['eth_getBalance'] });
      const params = ['0x70997970c51812dc3a010c7d01b50e0d17dc79c8', '0x9'];
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => rpc(i % 2 === 0 ? a.url : b.url, 'eth_getBalance', params)),
      );
      const expected = (await rpc(anvil.url, 'eth_getBalance', params)).body;
      for (const answer of answers)
        expect((answer.body as { result: string }).result).toBe((expected as { result: string }).result);
      expect(proxy.stats.byMethod.get('eth_getBalance')).toBe(1);
    } finally {
      await Promise.all([a.gateway.close(500), b.gateway.close(500)]);
      await proxy.close();
    }
  });

  it('keeps serving when Redis dies mid-run, and counts the failures', async () => {
    const port = await getFreePort();
    const redis: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    try {
      const redisUrl = `redis://127.0.0.1:${port}`;
      await expect
        .poll(async () => {
          const probe = spawn('redis-cli', ['-p', String(port), 'ping']);
          return await new Promise((resolve) => probe.on('close', resolve));
        })
        .toBe(0);
      const a = await instance(redisUrl, 'tp:');
      try {
        await cacheable(a.url, ['0x2', false]);
        redis.kill('SIGKILL');
        const statuses: number[] = [];
        const cache: unknown[] = [];
        for (let n = 3; n < 13; n++) {
          const res = await rpc(a.url, 'eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
          statuses.push(res.status);
          cache.push(res.headers['x-cache']);
          expect((res.body as { result: { number: string } }).result.number).toBe(`0x${n.toString(16)}`);
        }
        expect(statuses.every((status) => status === 200)).toBe(true);
        // Served from the in-process tier on repeat.
        expect((await rpc(a.url, 'eth_getBlockByNumber', ['0x3', false])).headers['x-cache']).toBe('HIT');
        const metrics = await (await fetch(`${new URL(a.url).origin}/metrics`)).text();
        expect(metrics).toMatch(/^turnpike_cache_backend_failures_total [1-9]/m);
      } finally {
        await a.gateway.close(500);
      }
    } finally {
      redis.kill('SIGKILL');
    }
  });
});
