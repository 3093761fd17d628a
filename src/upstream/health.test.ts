import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../test/support/fault-proxy.js';
import { type HealthConfig, type NetworkConfig, networkSchema } from '../config/schema.js';
import { type AnvilNode, startAnvil } from '../dev/anvil.js';
import { type HealthLogger, HealthMonitor } from './health.js';
import { Upstream } from './upstream.js';

let mainnetLike: AnvilNode;
let local: AnvilNode;
const proxies: FaultProxy[] = [];
const upstreams: Upstream[] = [];

beforeAll(async () => {
  [local, mainnetLike] = await Promise.all([startAnvil(), startAnvil({ chainId: 1 })]);
});

afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((upstream) => upstream.destroy()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await Promise.all([local?.stop(), mainnetLike?.stop()]);
});

function recordingLog(): HealthLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (_fields, message) => lines.push(`warn ${message}`),
    info: (_fields, message) => lines.push(`info ${message}`),
  };
}

async function proxied(target: AnvilNode): Promise<FaultProxy> {
  const proxy = await startFaultProxy(target.url);
  proxies.push(proxy);
  return proxy;
}

function build(
  urls: string[],
  options: { chainId?: number; health?: Partial<HealthConfig>; minRequests?: number; openMs?: number } = {},
) {
  const config: NetworkConfig = networkSchema.parse({
    ...(options.chainId !== undefined && { chainId: options.chainId }),
    upstreams: urls.map((url, index) => ({ id: `u${index}`, url })),
    health: { probeIntervalMs: 1000, ...options.health },
    failsafe: { breaker: { minRequests: options.minRequests ?? 10, openMs: options.openMs ?? 60_000 } },
  });
  const list = config.upstreams.map(
    (upstreamConfig, index) => new Upstream(upstreamConfig, index, 'test', config),
  );
  upstreams.push(...list);
  const log = recordingLog();
  const monitor = new HealthMonitor('test', list, config.health, config.chainId, log, 2000);
  return { list, monitor, log };
}

describe('HealthMonitor chain id check', () => {
  it('excludes an upstream whose chain id differs from the configured one, with a warning', async () => {
    const { list, monitor, log } = build([local.url, mainnetLike.url], { chainId: 31337 });
    await monitor.checkChainIds();
    const [good, wrong] = list;
    expect(good!.chainId).toBe(31337);
    expect(good!.exclusionReason).toBeUndefined();
    expect(wrong!.chainId).toBe(1);
    expect(wrong!.exclusionReason).toBe('chain-id-mismatch');
    expect(wrong!.isAvailable()).toBe(false);
    expect(log.lines.filter((line) => line.startsWith('warn'))).toHaveLength(1);
    expect(log.lines[0]).toContain('u1');
  });

  it('learns the expected chain id from the majority when none is configured', async () => {
    const a = await proxied(local);
    const b = await proxied(local);
    const { list, monitor } = build([mainnetLike.url, a.url, b.url]);
    await monitor.checkChainIds();
    expect(monitor.expectedChainId).toBe(31337);
    expect(list.map((upstream) => upstream.exclusionReason ?? 'ok')).toEqual([
      'chain-id-mismatch',
      'ok',
      'ok',
    ]);
  });

  it('checks an upstream that was down at start once it answers', async () => {
    const proxy = await proxied(mainnetLike);
    proxy.setFault({ kind: 'status', status: 503 });
    const { list, monitor } = build([local.url, proxy.url], { chainId: 31337 });
    await monitor.checkChainIds();
    expect(list[1]!.chainId).toBeUndefined();
    expect(list[1]!.excluded).toBe(false);
    proxy.setFault(null);
    await monitor.tick();
    expect(list[1]!.chainId).toBe(1);
    expect(list[1]!.exclusionReason).toBe('chain-id-mismatch');
  });

  it('does nothing when checkChainId is off', async () => {
    const proxy = await proxied(mainnetLike);
    const { list, monitor } = build([proxy.url], { chainId: 31337, health: { checkChainId: false } });
    await monitor.checkChainIds();
    expect(list[0]!.chainId).toBeUndefined();
    expect(list[0]!.excluded).toBe(false);
    expect(proxy.stats.byMethod.get('eth_chainId')).toBeUndefined();
  });
});

describe('HealthMonitor block lag', () => {
  it('excludes upstreams more than maxBlockLag behind the highest head, and readmits them', () => {
    const { list, monitor, log } = build(
      ['http://127.0.0.1:9', 'http://127.0.0.1:10', 'http://127.0.0.1:11'],
      {
        health: { maxBlockLag: 5 },
      },
    );
    const [a, b, c] = list;
    a!.noteHead(100, Date.now());
    b!.noteHead(95, Date.now());
    c!.noteHead(94, Date.now());
    monitor.updateLag();
    expect(list.map((upstream) => upstream.exclusionReason ?? 'ok')).toEqual(['ok', 'ok', 'lagging']);
    expect(log.lines.some((line) => line.includes('u2 lags 6 blocks'))).toBe(true);
    c!.noteHead(99, Date.now());
    monitor.updateLag();
    expect(c!.lagging).toBe(false);
    expect(log.lines.some((line) => line.includes('u2 caught up'))).toBe(true);
  });

  it('never excludes an upstream whose head is unknown, and ignores heads of wrong-chain upstreams', () => {
    const { list, monitor } = build(['http://127.0.0.1:9', 'http://127.0.0.1:10', 'http://127.0.0.1:11'], {
      health: { maxBlockLag: 5 },
    });
    const [a, b, wrongChain] = list;
    a!.noteHead(10, Date.now());
    wrongChain!.chainIdMismatch = true;
    wrongChain!.noteHead(1_000_000, Date.now());
    monitor.updateLag();
    expect(a!.lagging).toBe(false);
    expect(b!.head).toBe(-1);
    expect(b!.lagging).toBe(false);
  });

  it('maxBlockLag 0 turns lag exclusion off', () => {
    const { list, monitor } = build(['http://127.0.0.1:9', 'http://127.0.0.1:10'], {
      health: { maxBlockLag: 0 },
    });
    list[0]!.noteHead(1000, Date.now());
    list[1]!.noteHead(1, Date.now());
    monitor.updateLag();
    expect(list[1]!.lagging).toBe(false);
  });
});

describe('HealthMonitor probes', () => {
  it('probes only idle upstreams, and learns heads from the probe', async () => {
    const busy = await proxied(local);
    const idle = await proxied(local);
    const { list, monitor } = build([busy.url, idle.url], {
      health: { maxBlockLag: 0, checkChainId: false },
    });
    const now = Date.now();
    list[0]!.lastUsedAt = now - 10; // used 10 ms ago: not idle for probeIntervalMs
    list[1]!.lastUsedAt = now - 5000;
    await monitor.tick(now);
    expect(busy.stats.requests).toBe(0);
    expect(idle.stats.byMethod.get('eth_blockNumber')).toBe(1);
    expect(list[1]!.head).toBeGreaterThanOrEqual(0);
    expect(list[1]!.latency.samples).toBe(1);
  });

  it('probes a busy upstream whose head went stale when lag exclusion is on', async () => {
    const busy = await proxied(local);
    const { list, monitor } = build([busy.url], { health: { maxBlockLag: 5, checkChainId: false } });
    const now = Date.now();
    list[0]!.lastUsedAt = now;
    list[0]!.headSeenAt = now - 5000;
    await monitor.tick(now);
    expect(busy.stats.byMethod.get('eth_blockNumber')).toBe(1);
    expect(list[0]!.headSeenAt).toBeGreaterThanOrEqual(now);
  });

  it('counts a failed probe against the breaker, and leaves an open breaker alone', async () => {
    const proxy = await proxied(local);
    proxy.setFault({ kind: 'status', status: 503 });
    const { list, monitor } = build([proxy.url], { minRequests: 2, health: { checkChainId: false } });
    const upstream = list[0]!;
    await monitor.tick(Number.POSITIVE_INFINITY);
    expect(upstream.breaker.state).toBe('closed');
    await monitor.tick(Number.POSITIVE_INFINITY);
    expect(upstream.breaker.state).toBe('open');
    const before = proxy.stats.requests;
    expect(before).toBe(2);
    await monitor.tick(Number.POSITIVE_INFINITY);
    expect(proxy.stats.requests).toBe(before);
  });

  it('a half-open breaker is closed again by successful probes', async () => {
    const proxy = await proxied(local);
    proxy.setFault({ kind: 'status', status: 503 });
    const { list, monitor } = build([proxy.url], {
      minRequests: 1,
      openMs: 50,
      health: { checkChainId: false },
    });
    const upstream = list[0]!;
    await monitor.tick(Number.POSITIVE_INFINITY);
    expect(upstream.breaker.state).toBe('open');
    proxy.setFault(null);
    // Default halfOpenProbes is 3: one probe per tick once the breaker half-opens.
    for (let i = 0; i < 50 && upstream.breaker.state !== 'closed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      await monitor.tick(Number.POSITIVE_INFINITY);
    }
    expect(upstream.breaker.state).toBe('closed');
  });

  it('follows a failed probe up at once: two refused probes in a row open the breaker', async () => {
    const proxy = await proxied(local);
    await proxy.pause();
    // A long interval: only the follow-up can make the second probe.
    const { list, monitor } = build([proxy.url], {
      health: { checkChainId: false, probeIntervalMs: 60_000 },
    });
    const upstream = list[0]!;
    await monitor.tick(Number.POSITIVE_INFINITY);
    expect(upstream.breaker.state).toBe('closed');
    expect(upstream.lastFailure).toBe('refused');
    await expect.poll(() => upstream.breaker.state, { timeout: 5_000 }).toBe('open');
    expect(upstream.isAvailable()).toBe(false);
    monitor.stop();
  });

  it('probes at once when a pooled connection breaks, and opens the breaker of a dead upstream', async () => {
    const proxy = await proxied(local);
    const { list, monitor } = build([proxy.url], {
      health: { checkChainId: false, probeIntervalMs: 60_000 },
    });
    const upstream = list[0]!;
    monitor.start();
    await monitor.tick(Number.POSITIVE_INFINITY);
    expect(proxy.stats.byMethod.get('eth_blockNumber')).toBe(1);
    // Like a killed node: the listener goes and the kept-alive connection is cut.
    await proxy.pause();
    await expect.poll(() => upstream.breaker.state, { timeout: 5_000 }).toBe('open');
    expect(upstream.lastFailure).toBe('refused');
    monitor.stop();
  });

  it('follows a successful half-open trial up at once, so recovery takes no probe intervals', async () => {
    const proxy = await proxied(local);
    proxy.setFault({ kind: 'status', status: 503 });
    const { list, monitor } = build([proxy.url], {
      minRequests: 1,
      openMs: 50,
      health: { checkChainId: false, probeIntervalMs: 60_000 },
    });
    const upstream = list[0]!;
    await monitor.tick(Number.POSITIVE_INFINITY);
    expect(upstream.breaker.state).toBe('open');
    expect(upstream.lastFailure).toBe('http_status');
    proxy.setFault(null);
    await expect.poll(() => upstream.breaker.state).toBe('half-open');
    // One tick (the interval is a minute): its success is followed up until the breaker closes.
    await monitor.tick(Number.POSITIVE_INFINITY);
    await expect.poll(() => upstream.breaker.state, { timeout: 5_000 }).toBe('closed');
    monitor.stop();
  });

  it('start() and stop() manage one interval timer', () => {
    const { monitor } = build(['http://127.0.0.1:9']);
    const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = timers();
    monitor.start();
    monitor.start();
    const internals = monitor as unknown as { timer: NodeJS.Timeout | undefined };
    expect(internals.timer).toBeDefined();
    monitor.stop();
    expect(internals.timer).toBeUndefined();
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
