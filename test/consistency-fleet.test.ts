/**
 * The global variant: two gateway instances share session marks through a real Redis. A
 * session whose requests alternate between the instances never sees `latest` go back with
 * `sessions.shared` (read before every latest read: `sharedReadMs: 0`); with marks kept per
 * instance, the same load does see it go back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnpikeConfigInput } from '../src/config/schema.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { connectRedis } from '../src/store/redis.js';
import { REDIS_URL, randomName } from './support/databases.js';
import { postJson } from './support/rpc.js';
import { startUnevenAnvils, type UnevenAnvils, unevenNetwork } from './support/uneven-anvils.js';

let anvils: UnevenAnvils;
const prefix = `${randomName('consb')}:`;

function config(shared: boolean): TurnpikeConfigInput {
  return {
    logging: { level: 'silent' },
    storage: { redisUrl: REDIS_URL, redisKeyPrefix: prefix },
    cache: { redis: false },
    consistency: { enabled: true, sessions: { shared, sharedReadMs: 0 } },
    networks: {
      anvil: unevenNetwork(anvils),
    },
  };
}

async function withFleet<T>(shared: boolean, run: (urls: string[]) => Promise<T>): Promise<T> {
  const gateways: Gateway[] = [createGateway(config(shared)), createGateway(config(shared))];
  try {
    const urls: string[] = [];
    for (const gateway of gateways) urls.push(`${(await gateway.listen(0, '127.0.0.1')).url}/anvil`);
    return await run(urls);
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.close(1_000)));
  }
}

/** One session's eth_blockNumber reads, alternating between the instances. */
async function alternating(urls: string[], session: string, count: number): Promise<number[]> {
  const heights: number[] = [];
  for (let i = 0; i < count; i++) {
    const payload = { jsonrpc: '2.0', id: i, method: 'eth_blockNumber', params: [] };
    const answer = await postJson(urls[i % urls.length]!, payload, {
      headers: { 'x-turnpike-session': session },
    });
    const result = (answer.body as { result?: string }).result;
    expect(result, answer.text).toBeDefined();
    heights.push(Number.parseInt(result!, 16));
  }
  return heights;
}

function decreases(heights: readonly number[]): number {
  let count = 0;
  for (let i = 1; i < heights.length; i++) if (heights[i]! < heights[i - 1]!) count++;
  return count;
}

const SESSIONS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

beforeAll(async () => {
  anvils = await startUnevenAnvils({ lead: 20, blockTime: 1 });
});

afterAll(async () => {
  await anvils?.stop();
  const redis = connectRedis(REDIS_URL, { offlineQueue: true });
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('session marks shared across instances through Redis', () => {
  it('marks kept per instance: a session switching instances goes back', async () => {
    const runs = await withFleet(false, (urls) =>
      Promise.all(SESSIONS.map((session) => alternating(urls, `local-${session}`, 40))),
    );
    expect(runs.reduce((sum, heights) => sum + decreases(heights), 0)).toBeGreaterThan(0);
  });

  it('shared marks: no session goes back across 1,000 requests alternating instances', async () => {
    const runs = await withFleet(true, (urls) =>
      Promise.all(SESSIONS.map((session) => alternating(urls, `shared-${session}`, 125))),
    );
    for (const heights of runs) expect(decreases(heights), heights.join(' ')).toBe(0);
    const redis = connectRedis(REDIS_URL, { offlineQueue: true });
    try {
      const marks = await redis.keys(`${prefix}session:anvil:*`);
      expect(marks.length).toBe(SESSIONS.length);
    } finally {
      await redis.quit();
    }
  });
});
