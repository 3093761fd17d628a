/**
 * Fleet presence against the real Redis on 127.0.0.1:6379: processes that heartbeat count, a
 * graceful close leaves at once, a silent one ages out after the TTL, and a failed heartbeat
 * keeps the last size seen.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FleetPresence } from '../src/ratelimit/fleet-presence.js';
import { connectRedis } from '../src/store/redis.js';
import { REDIS_URL, randomName } from './support/databases.js';
import { getFreePort } from './support/free-port.js';

const client = connectRedis(REDIS_URL, { commandTimeoutMs: 2_000, offlineQueue: true });
const prefix = randomName('tp_test_');
const keys: string[] = [];
const newKey = () => {
  keys.push(`${prefix}:${keys.length}:fleet:rl`);
  return keys.at(-1) as string;
};

afterAll(async () => {
  await client.del(...keys);
  client.disconnect();
});

describe('FleetPresence', () => {
  it('counts the live processes; a closed one leaves at once, a silent one ages out', async () => {
    const key = newKey();
    const a = new FleetPresence({ client, key, ttlMs: 60_000 });
    const b = new FleetPresence({ client, key, ttlMs: 60_000 });
    const c = new FleetPresence({ client, key, ttlMs: 60_000 });
    expect(a.size).toBe(1);
    await a.beat();
    await b.beat();
    expect(await c.beat()).toBe(3);
    expect(await a.beat()).toBe(3);
    await b.close();
    expect(await a.beat()).toBe(2);
    // A beat with a 300-ms TTL drops everyone not heard from for 300 ms: a and c stop beating.
    const d = new FleetPresence({ client, key, ttlMs: 300 });
    expect(await d.beat()).toBe(3);
    await expect.poll(() => d.beat(), { timeout: 10_000 }).toBe(1);
    await d.close();
  });

  it('keeps the last size seen when a heartbeat fails, and never reports less than 1', async () => {
    const key = newKey();
    const other = new FleetPresence({ client, key, ttlMs: 60_000 });
    await other.beat();
    const own = connectRedis(REDIS_URL, { commandTimeoutMs: 2_000, offlineQueue: true });
    const errors: unknown[] = [];
    const presence = new FleetPresence({
      client: own,
      key,
      ttlMs: 60_000,
      onError: (err) => errors.push(err),
    });
    expect(await presence.beat()).toBe(2);
    own.disconnect();
    expect(await presence.beat()).toBe(2);
    expect(errors).toHaveLength(1);
    const dead = connectRedis(`redis://127.0.0.1:${await getFreePort()}`, { onError: () => undefined });
    const never = new FleetPresence({ client: dead, key });
    expect(await never.beat()).toBe(1);
    dead.disconnect();
    await other.close();
    await presence.close();
  });
});
