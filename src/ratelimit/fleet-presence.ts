/**
 * How many processes share the Redis rate limits right now, so each knows its share when Redis
 * is gone (`tenancy.rateLimitFailure: local`): a fleet of N processes each limiting a key to
 * limit / N admits at most the limit together, where N full buckets would admit N × it.
 *
 * Each process heartbeats into one sorted set (member = this process, score = Redis `TIME` in
 * ms) and, in the same script, drops members older than the TTL and counts the rest. One key,
 * so it works on Redis Cluster; the set itself expires one TTL after the last heartbeat. The
 * count is kept when Redis fails: the last fleet size seen is the best guess of who is still
 * serving. A graceful close removes this process at once; a crashed one ages out after the TTL.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RedisClient } from '../store/redis.js';

export interface FleetPresenceOptions {
  /** Not owned: `close()` leaves it open. */
  client: RedisClient;
  /** The sorted set's key, e.g. `turnpike:rl:fleet`. */
  key: string;
  /** How often this process says it is alive. @default 2000 */
  heartbeatMs?: number;
  /** A process not heard from for this long no longer counts. @default 6000 */
  ttlMs?: number;
  /** Called when a heartbeat fails (Redis down); the last known size stays. Must not throw. */
  onError?: (err: unknown) => void;
}

/** KEYS[1] = set; ARGV = member, TTL ms. Returns the live members, this one included. */
const HEARTBEAT_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
return redis.call('ZCARD', KEYS[1])
`;

export class FleetPresence {
  /** This process in the set: host, pid, and a random part (pids repeat across containers). */
  readonly id = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly #options: FleetPresenceOptions;
  #size = 1;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** A heartbeat went out, so there may be a member to remove at close. */
  #joined = false;

  constructor(options: FleetPresenceOptions) {
    this.#options = options;
  }

  /** The live fleet size last seen in Redis, this process included; at least 1. */
  get size(): number {
    return this.#size;
  }

  get started(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts heartbeating (idempotent); the first beat goes out at once. */
  start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => void this.beat(), this.#options.heartbeatMs ?? 2_000);
    // Presence must never keep the process alive.
    this.#timer.unref();
    void this.beat();
  }

  /** One heartbeat; resolves with the size it settled on (the old one when Redis failed). */
  async beat(): Promise<number> {
    if (this.#closed) return this.#size;
    this.#joined = true;
    try {
      const ttl = this.#options.ttlMs ?? 6_000;
      const live = await this.#options.client.eval(HEARTBEAT_SCRIPT, 1, this.#options.key, this.id, ttl);
      // A beat answered after close() must not resurrect the count used by nobody.
      if (!this.#closed) this.#size = Math.max(1, Number(live));
    } catch (err) {
      try {
        this.#options.onError?.(err);
      } catch {
        // A broken hook must not turn a missed heartbeat into a crash.
      }
    }
    return this.#size;
  }

  /** Stops heartbeating and leaves the set, so the others' share grows at their next beat. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#joined) return;
    try {
      await this.#options.client.zrem(this.#options.key, this.id);
    } catch {
      // Redis down at close: the member ages out after the TTL.
    }
  }
}
