/**
 * Session marks shared by every instance through Redis: one key per session holding the highest
 * block served to it, raised by a Lua max (never lowered by a slower instance) and expiring with
 * the session's TTL. A failed read is counted, and that request goes to the upstream with the
 * highest known head (session-store.ts); a failed raise keeps the mark in this process only.
 */
import type { RedisClient } from '../../store/redis.js';

const RAISE = `local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local wanted = tonumber(ARGV[1])
if wanted > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return wanted
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return current`;

export class SharedMarks {
  failures = 0;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  /** The shared mark (-1: none yet); undefined when Redis did not answer. */
  async read(network: string, session: string): Promise<number | undefined> {
    try {
      const value = await this.client.get(this.key(network, session));
      return value === null ? -1 : Number(value);
    } catch {
      this.failures++;
      return undefined;
    }
  }

  /** Resolves with the shared mark after the raise (another instance's may be higher). */
  async raise(network: string, session: string, block: number, ttlMs: number): Promise<number> {
    try {
      return Number(await this.client.eval(RAISE, 1, this.key(network, session), block, ttlMs));
    } catch {
      this.failures++;
      return block;
    }
  }

  private key(network: string, session: string): string {
    return `${this.prefix}session:${network}:${session}`;
  }
}
