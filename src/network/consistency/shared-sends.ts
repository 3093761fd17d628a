/**
 * Read-your-writes across processes and instances: each session's recent sends (transaction
 * hash and sender → the upstream that accepted it, and when) in one Redis hash per session that
 * expires with the read-your-writes window. Written before the send's answer leaves; read by a
 * process that does not know the send, at most every `sharedReadMs` per session, when a read
 * could be about one (session-store.ts). A failed read or write is counted and that request goes
 * on with what this process knows.
 */
import type { RedisClient } from '../../store/redis.js';

const RECORD = `redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/** One send as another process recorded it. */
export interface SharedSend {
  readonly upstreamId: string;
  /** Epoch ms of the send. */
  readonly at: number;
}

export class SharedSends {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly failed: () => void,
  ) {}

  /** Records a send under each of its keys (lowercase hash and sender). */
  async record(
    network: string,
    session: string,
    keys: string[],
    send: SharedSend,
    ttlMs: number,
  ): Promise<void> {
    const value = `${send.at}|${send.upstreamId}`;
    const fields = keys.flatMap((key) => [key, value]);
    try {
      await this.client.eval(RECORD, 1, this.key(network, session), ttlMs, ...fields);
    } catch {
      this.failed();
    }
  }

  /** The session's sends by key; undefined when Redis did not answer. */
  async read(network: string, session: string): Promise<Map<string, SharedSend> | undefined> {
    let entries: Record<string, string>;
    try {
      entries = await this.client.hgetall(this.key(network, session));
    } catch {
      this.failed();
      return undefined;
    }
    const sends = new Map<string, SharedSend>();
    for (const [key, value] of Object.entries(entries)) {
      const bar = value.indexOf('|');
      const at = Number(value.slice(0, bar));
      if (bar > 0 && Number.isFinite(at)) sends.set(key, { at, upstreamId: value.slice(bar + 1) });
    }
    return sends;
  }

  private key(network: string, session: string): string {
    return `${this.prefix}sends:${network}:${session}`;
  }
}
