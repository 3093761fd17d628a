/**
 * WebSocket connections held per API key and per client IP, for `realtime.maxConnectionsPerKey`
 * and `maxConnectionsPerIp`. Always counted in this process; with Redis (the tenancy's, as the
 * rate limiter uses it) the limit holds across workers and instances: each process writes its
 * own count into one Redis hash per key or IP (field = process id, value = `count:expiresAt`),
 * and a handshake is admitted by one Lua script that sums the other processes' unexpired counts
 * with this one's and, if under the limit, writes this process's new count — atomically, so two
 * instances cannot both take the last place. Each process rewrites its counts every second
 * with a 5 s lease, so the sockets of a process that was killed stop counting within 5 s.
 * When Redis cannot answer, the per-process limit applies (counted in `registryFailures`).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RedisClient } from '../store/redis.js';

/** How long a process's count stands without being rewritten. */
export const CONNECTION_LEASE_MS = 5_000;

/** One limit a handshake must fit: `id` is `k:<key id>` or `ip:<address>`. */
export interface ConnectionClaim {
  readonly id: string;
  readonly limit: number;
  readonly scope: 'key' | 'ip';
}

/**
 * KEYS[1] = the hash; ARGV = process id, limit, this process's count with the new socket, lease ms.
 * Returns -1 when admitted (this process's count written), else the other processes' total.
 */
const CLAIM_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local others = 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if fields[i] ~= ARGV[1] then
    local value = fields[i + 1]
    local sep = string.find(value, ':', 1, true)
    local expires = sep and tonumber(string.sub(value, sep + 1)) or 0
    if expires < now then redis.call('HDEL', KEYS[1], fields[i])
    else others = others + (tonumber(string.sub(value, 1, sep - 1)) or 0) end
  end
end
if others + tonumber(ARGV[3]) > tonumber(ARGV[2]) then return others end
local lease = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. ':' .. string.format('%d', now + lease))
redis.call('PEXPIRE', KEYS[1], lease)
return -1
`;

/** KEYS[1] = the hash; ARGV = process id, count (0 deletes the field), lease ms. */
const WRITE_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
if tonumber(ARGV[2]) <= 0 then return redis.call('HDEL', KEYS[1], ARGV[1]) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. string.format('%d', now + lease))
redis.call('PEXPIRE', KEYS[1], lease)
return 1
`;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const SCRIPTS = {
  claim: { text: CLAIM_SCRIPT, sha: sha1(CLAIM_SCRIPT) },
  write: { text: WRITE_SCRIPT, sha: sha1(WRITE_SCRIPT) },
};

export interface ConnectionCountsOptions {
  /** Not owned. Undefined: counts hold per process. */
  readonly redis?: RedisClient | undefined;
  /** `storage.redisKeyPrefix`; hashes are `${prefix}ws:${id}`. */
  readonly prefix?: string | undefined;
  /** Told of each handshake Redis could not count (the per-process limit applied). */
  readonly onFailure?: (err: unknown) => void;
}

export class ConnectionCounts {
  /** Sockets held (and handshakes admitted, not yet open) in this process, by claim id. */
  private readonly local = new Map<string, number>();
  private readonly processId = randomBytes(8).toString('hex');
  private readonly redis: RedisClient | undefined;
  private readonly prefix: string;

  constructor(private readonly options: ConnectionCountsOptions = {}) {
    this.redis = options.redis;
    this.prefix = `${options.prefix ?? ''}ws:`;
  }

  /** Whether the counts are shared through Redis. */
  get fleetWide(): boolean {
    return this.redis !== undefined;
  }

  held(id: string): number {
    return this.local.get(id) ?? 0;
  }

  /**
   * Holds one more connection under every claim, or gives the first claim that is full (and
   * holds nothing). Release what was held with `release` once the socket closes (or never opens).
   */
  acquire(
    claims: readonly ConnectionClaim[],
  ): ConnectionClaim | undefined | Promise<ConnectionClaim | undefined> {
    for (const claim of claims) if (this.held(claim.id) >= claim.limit) return claim;
    for (const claim of claims) this.local.set(claim.id, this.held(claim.id) + 1);
    if (this.redis === undefined) return undefined;
    return this.acquireShared(claims);
  }

  /** A socket held under `ids` closed (or its handshake did not complete). */
  release(ids: readonly string[]): void {
    for (const id of ids) {
      const count = this.held(id) - 1;
      if (count > 0) this.local.set(id, count);
      else this.local.delete(id);
      void this.write(id);
    }
  }

  /** Rewrites this process's counts, renewing their lease (every second, from the module's sweep). */
  refresh(): void {
    if (this.redis === undefined) return;
    for (const id of this.local.keys()) void this.write(id);
  }

  /** Removes this process's counts (the module closes; its sockets are gone). */
  async close(): Promise<void> {
    const ids = [...this.local.keys()];
    this.local.clear();
    await Promise.all(ids.map((id) => this.write(id)));
  }

  private async acquireShared(claims: readonly ConnectionClaim[]): Promise<ConnectionClaim | undefined> {
    let refused: ConnectionClaim | undefined;
    try {
      const answers = await Promise.all(
        claims.map((claim) =>
          this.run(SCRIPTS.claim, this.prefix + claim.id, [
            this.processId,
            claim.limit,
            this.held(claim.id),
            CONNECTION_LEASE_MS,
          ]),
        ),
      );
      refused = claims.find((_, index) => Number(answers[index]) !== -1);
    } catch (err) {
      // Redis could not say: the per-process limit (checked before) applies.
      this.options.onFailure?.(err);
      return undefined;
    }
    if (refused !== undefined) this.release(claims.map((claim) => claim.id));
    return refused;
  }

  private async write(id: string): Promise<void> {
    if (this.redis === undefined) return;
    try {
      await this.run(SCRIPTS.write, this.prefix + id, [this.processId, this.held(id), CONNECTION_LEASE_MS]);
    } catch {
      // The next refresh writes it again; meanwhile the old count stands until its lease ends.
    }
  }

  /** EVALSHA, loading the script with EVAL on a server that has not seen it (NOSCRIPT). */
  private async run(
    script: { readonly text: string; readonly sha: string },
    key: string,
    args: readonly (string | number)[],
  ): Promise<unknown> {
    const redis = this.redis!;
    try {
      return await redis.evalsha(script.sha, 1, key, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return await redis.eval(script.text, 1, key, ...args);
    }
  }
}
