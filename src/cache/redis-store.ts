/**
 * The shared cache tier in Redis. An entry is one hash `${prefix}c:${id}`: field `v` holds the
 * value (codec.ts: maybe compressed), one field `t:<tag>` per tag, and the key's PX expiry.
 * Each tag has a set `${prefix}ct:${tag}` of the entry ids carrying it.
 *
 * Redis Cluster: every script touches exactly one key, so it always runs on one slot. An entry
 * with several tags cannot share a slot with all of their sets (hash tags pick one slot), and
 * putting every tagged entry in one slot would pile the hottest data (recent blocks) on one
 * node. So instead:
 *  - `set` sends the tag-set additions, then the entry write, in one tick. On one node they run
 *    in that order; on Cluster an addition may fail on another node while the entry lands, and
 *    then the entry is taken back (deleted if it still carries that tag). So an entry never
 *    stays without its memberships; an id in a tag set whose entry is missing is harmless.
 *  - `invalidateTags` empties each tag set, then deletes its members one by one, each only if
 *    the entry still carries that tag (a rewritten key may have moved to other tags).
 * Stale ids left in a tag set by a rewrite are not removed; the set expires soon anyway.
 *
 * Redis failures never reach the caller: a read is a miss, a write or invalidation resolves,
 * and `onFailure` hears each failed operation (as does a stored value that fails to decode).
 */
import { createHash } from 'node:crypto';
import type { RedisClient } from '../store/redis.js';
import type { SilentRedisGuard } from '../store/silent-redis.js';
import type { CacheStore, CacheWrite } from './cache-store.js';
import { decodeValue, encodeValue } from './codec.js';

export interface RedisCacheStoreOptions {
  /** Not owned: `close()` leaves it open. */
  client: RedisClient;
  /** Prepended to every key, e.g. `turnpike:`. @default '' */
  prefix?: string;
  /** Values at least this large are compressed (codec.ts). */
  compressMinBytes: number;
  /** Called once per failed operation (count it in a metric). Must not throw. */
  onFailure?: (err: unknown) => void;
  /** Told of every answer and failure, to drop a connection gone silent (store/silent-redis.ts). */
  silence?: SilentRedisGuard;
}

/** Longer keys (eth_call data, log filters) are stored under their SHA-256. */
const MAX_PLAIN_KEY_CHARS = 200;
/**
 * A tag set outlives the entries it lists by this much: on Cluster its entry may be written
 * a little later (another node), and its TTL then starts later too.
 */
const TAG_SET_SLACK_MS = 5_000;
const VALUE_FIELD = 'v';
const TAG_FIELD = 't:';

/** KEYS[1] = entry. Returns nil, or { HGETALL fields, PTTL }. */
const READ_SCRIPT = `
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return false end
return { fields, redis.call('PTTL', KEYS[1]) }
`;

/** KEYS[1] = entry; ARGV = value, PX ms (0 = no expiry), tag fields… */
const WRITE_SCRIPT = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '${VALUE_FIELD}', ARGV[1])
for i = 3, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], '') end
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`;

/** KEYS[1] = tag set; ARGV = entry id, PX ms (0 = never). The set's expiry only ever grows. */
const TAG_ADD_SCRIPT = `
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl == 0 then redis.call('PERSIST', KEYS[1]) return 1 end
local current = redis.call('PTTL', KEYS[1])
if existed == 0 or (current >= 0 and current < ttl) then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`;

/** KEYS[1] = tag set. Returns its members and deletes it. */
const TAG_TAKE_SCRIPT = `
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return members
`;

/** KEYS[1] = entry; ARGV[1] = tag field. Deletes the entry only if it still carries the tag. */
const DROP_IF_TAGGED_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * ioredis has a `…Buffer` variant of every command (binary-safe replies) but leaves the eval
 * ones out of its types. `callBuffer` is no way round: with auto-pipelining it drops the
 * command name.
 */
interface BufferEval {
  evalshaBuffer(
    sha: string,
    numKeys: number,
    ...keysAndArgs: Array<string | number | Buffer>
  ): Promise<unknown>;
  evalBuffer(
    source: string,
    numKeys: number,
    ...keysAndArgs: Array<string | number | Buffer>
  ): Promise<unknown>;
}

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const READ = script(READ_SCRIPT);
const WRITE = script(WRITE_SCRIPT);
const TAG_ADD = script(TAG_ADD_SCRIPT);
const TAG_TAKE = script(TAG_TAKE_SCRIPT);
const DROP_IF_TAGGED = script(DROP_IF_TAGGED_SCRIPT);

export class RedisCacheStore implements CacheStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #compressMinBytes: number;
  readonly #onFailure: ((err: unknown) => void) | undefined;
  readonly #silence: SilentRedisGuard | undefined;

  constructor(options: RedisCacheStoreOptions) {
    this.#client = options.client;
    this.#prefix = options.prefix ?? '';
    this.#compressMinBytes = options.compressMinBytes;
    this.#onFailure = options.onFailure;
    this.#silence = options.silence;
  }

  async get(key: string): Promise<Buffer | undefined> {
    return (await this.getEntry(key))?.value;
  }

  /** The value with its remaining TTL (Infinity = none) and tags, or undefined on a miss. */
  async getEntry(key: string): Promise<CacheWrite | undefined> {
    try {
      const reply = (await this.#run(READ, this.#entryKey(entryId(key)), [])) as [Buffer[], number] | null;
      if (reply === null) return undefined;
      const [fields, pttl] = reply;
      let stored: Buffer | undefined;
      const tags: string[] = [];
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const field = fields[i]!.toString();
        if (field === VALUE_FIELD) stored = fields[i + 1];
        else if (field.startsWith(TAG_FIELD)) tags.push(field.slice(TAG_FIELD.length));
      }
      if (stored === undefined || pttl === -2) return undefined;
      const ttlMs = pttl === -1 ? Number.POSITIVE_INFINITY : pttl;
      return { value: decodeValue(stored), ttlMs, tags };
    } catch (err) {
      this.#fail(err);
      return undefined;
    }
  }

  async set(key: string, write: CacheWrite): Promise<void> {
    const { ttlMs, tags } = write;
    if (!(ttlMs > 0)) return;
    const id = entryId(key);
    const entryKey = this.#entryKey(id);
    const px = ttlMs === Number.POSITIVE_INFINITY ? 0 : Math.max(1, Math.ceil(ttlMs));
    const tagPx = px === 0 ? 0 : px + TAG_SET_SLACK_MS;
    let encoded: Buffer;
    try {
      encoded = encodeValue(write.value, this.#compressMinBytes);
    } catch (err) {
      this.#fail(err);
      return;
    }
    // Issued in the same tick, memberships first: one connection runs them in this order, and
    // two writes of one key land in call order (no await in between to reorder them).
    const added = tags.map((tag) => this.#run(TAG_ADD, this.#tagKey(tag), [id, tagPx]));
    const fields = tags.map((tag) => TAG_FIELD + tag);
    const written = this.#run(WRITE, entryKey, [encoded, px, ...fields]);
    const [entry, ...memberships] = await Promise.allSettled([written, ...added]);
    const failedTags = tags.filter((_, i) => memberships[i]?.status === 'rejected');
    const failure = [entry, ...memberships].find((result) => result.status === 'rejected');
    if (failure !== undefined) this.#fail(failure.reason);
    if (entry?.status !== 'fulfilled' || failedTags.length === 0) return;
    // Written, but missing from a tag set (Cluster: another node failed): an invalidation
    // could not find it, so take it back, unless a newer write has replaced it meanwhile.
    await Promise.all(
      failedTags.map((tag) => this.#run(DROP_IF_TAGGED, entryKey, [TAG_FIELD + tag]).catch(() => 0)),
    );
  }

  async invalidateTags(tags: readonly string[]): Promise<number> {
    let failure: unknown;
    const counts = await Promise.all(
      tags.map(async (tag) => {
        try {
          const ids = (await this.#run(TAG_TAKE, this.#tagKey(tag), [])) as Buffer[];
          const field = TAG_FIELD + tag;
          const dropped = await Promise.all(
            ids.map((id) => this.#run(DROP_IF_TAGGED, this.#entryKey(id.toString()), [field])),
          );
          return dropped.reduce<number>((sum, one) => sum + Number(one), 0);
        } catch (err) {
          failure ??= err;
          return 0;
        }
      }),
    );
    if (failure !== undefined) this.#fail(failure);
    return counts.reduce((sum, one) => sum + one, 0);
  }

  /** The client belongs to the caller. */
  async close(): Promise<void> {}

  #entryKey(id: string): string {
    return `${this.#prefix}c:${id}`;
  }

  #tagKey(tag: string): string {
    return `${this.#prefix}ct:${tag}`;
  }

  /** Every script call, so a run of timeouts (a partition) is seen and the connection dropped. */
  async #run(code: Script, key: string, args: Array<string | number | Buffer>): Promise<unknown> {
    try {
      const reply = await this.#evalScript(code, key, args);
      this.#silence?.answered();
      return reply;
    } catch (err) {
      this.#silence?.failed(err);
      throw err;
    }
  }

  /** EVALSHA with Buffer replies, loading the script with EVAL once per server (NOSCRIPT). */
  async #evalScript(code: Script, key: string, args: Array<string | number | Buffer>): Promise<unknown> {
    const client = this.#client as unknown as BufferEval;
    try {
      return await client.evalshaBuffer(code.sha, 1, key, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return await client.evalBuffer(code.source, 1, key, ...args);
    }
  }

  /** Tells the metric hook; a broken hook must not turn a miss into a crash. */
  #fail(err: unknown): void {
    try {
      this.#onFailure?.(err);
    } catch {
      // Swallowed on purpose: see above.
    }
  }
}

/**
 * The id of a key in Redis. Long keys are hashed; so are keys with braces, which JSON params
 * often hold and which Redis Cluster would take as a hash tag, skewing slots.
 */
export function entryId(key: string): string {
  if (key.length <= MAX_PLAIN_KEY_CHARS && !key.includes('{')) return key;
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
