/**
 * GCRA in Redis: one Lua script per decision, so the read-check-write is atomic across every
 * gateway instance. The clock is Redis `TIME`, read inside the script, so instances whose own
 * clocks are skewed still agree. One key per script call, so Redis Cluster routes it to a
 * single slot. Each key expires when its bucket is full again (an absent key is a full bucket),
 * so idle keys vanish by themselves.
 *
 * Redis failures never reach the caller: the decision falls back (open, closed or local) and
 * `onFailure` is told, every time. Timeouts come from the client (`connectRedis`'s
 * `commandTimeoutMs`), which also fails fast instead of queueing while disconnected.
 *
 * With `local`, the process joins the fleet presence at its first decision (processes that never
 * decide, such as a relayer-engine worker, are not counted) and its fallback buckets hold its
 * share of each limit: limit / the fleet size last seen (fleet-presence.ts).
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../store/redis.js';
import { SilentRedisGuard } from '../store/silent-redis.js';
import { FailureFallback, type FailureMode, reportFailure } from './failure-decision.js';
import { FleetPresence } from './fleet-presence.js';
import { describe, emissionInterval, GCRA_SLACK_MS } from './gcra.js';
import type { RateDecision, RateLimiter, RateRule } from './limiter.js';

export interface RedisRateLimiterOptions {
  /** Not owned: `close()` leaves it open. */
  client: RedisClient;
  /** Prepended to every key, e.g. `turnpike:`. Keys are `${prefix}rl:${key}`. @default '' */
  prefix?: string;
  /**
   * When Redis errors or times out: `open` admits (remaining reported as limit - 1),
   * `closed` refuses with Retry-After 1, `local` decides with this process's own buckets.
   */
  failure: FailureMode;
  /** Called on each failed decision (count it in a metric). Must not throw. */
  onFailure?: (err: unknown) => void;
  /** Told when a silent connection is dropped (silent-redis.ts). Must not throw. */
  onReconnect?: () => void;
  /** Fleet presence heartbeat and TTL (`local` only). @default 2000 and 6000 */
  presence?: { heartbeatMs?: number; ttlMs?: number };
}

/**
 * KEYS[1] = bucket; ARGV = emission interval ms, burst, cost, slack ms.
 * Returns { allowed (0/1), TAT after the decision minus now, in ms, as a string }.
 * TATs are stored as strings with µs precision: Lua's tostring keeps only 14 digits, too few
 * for an epoch in ms with fractions.
 */
const GCRA_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2]) * interval
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then tat = now end
local nextTat = tat + cost * interval
if nextTat - now <= tolerance + tonumber(ARGV[4]) then
  redis.call('SET', KEYS[1], string.format('%.3f', nextTat), 'PX', math.max(1, math.ceil(nextTat - now)))
  return { 1, string.format('%.3f', nextTat - now) }
end
return { 0, string.format('%.3f', tat - now) }
`;

const SCRIPT_SHA = createHash('sha1').update(GCRA_SCRIPT).digest('hex');

type ScriptReply = [number, string];

export class RedisRateLimiter implements RateLimiter {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #fallback: FailureFallback;
  readonly #onFailure: ((err: unknown) => void) | undefined;
  /** Drops the connection after a run of timeouts (a partition), so decisions fall back at once. */
  readonly silence: SilentRedisGuard;
  /** `local` only: how many processes share the limits. Outside the `rl:` bucket namespace. */
  readonly fleet: FleetPresence | undefined;

  constructor(options: RedisRateLimiterOptions) {
    this.#client = options.client;
    this.#prefix = `${options.prefix ?? ''}rl:`;
    this.fleet =
      options.failure === 'local'
        ? new FleetPresence({
            client: options.client,
            key: `${options.prefix ?? ''}fleet:rl`,
            ...options.presence,
          })
        : undefined;
    const fleet = this.fleet;
    this.#fallback = new FailureFallback(options.failure, fleet === undefined ? undefined : () => fleet.size);
    this.#onFailure = options.onFailure;
    this.silence = new SilentRedisGuard(options.client, {
      ...(options.onReconnect !== undefined && { onReconnect: options.onReconnect }),
    });
  }

  async consume(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    if (this.fleet !== undefined && !this.fleet.started) this.fleet.start();
    try {
      const [allowed, backlog] = await this.#run(this.#prefix + key, rule, cost);
      this.silence.answered();
      // Decide relative to Redis's clock: now = 0, TAT = the backlog it returned.
      return describe(allowed === 1, Number(backlog), 0, rule, cost);
    } catch (err) {
      this.silence.failed(err);
      reportFailure(this.#onFailure, err);
      return this.#fallback.decide(key, rule, cost);
    }
  }

  /** The client belongs to the caller. */
  async close(): Promise<void> {
    await this.fleet?.close();
    await this.#fallback.close();
  }

  /** EVALSHA, loading the script with EVAL once per server that has not seen it (NOSCRIPT). */
  async #run(key: string, rule: RateRule, cost: number): Promise<ScriptReply> {
    const args = [emissionInterval(rule), rule.burst, cost, GCRA_SLACK_MS] as const;
    try {
      return (await this.#client.evalsha(SCRIPT_SHA, 1, key, ...args)) as ScriptReply;
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await this.#client.eval(GCRA_SCRIPT, 1, key, ...args)) as ScriptReply;
    }
  }
}
