/**
 * The sessions of one network in this process: an LRU bounded by count with a TTL, each holding
 * the highest block served to the session (its mark) and its recent sends. With Redis the mark
 * is shared across instances (shared-marks.ts): read at most every `sharedReadMs`, raised with
 * an atomic max before the answer that raised it leaves.
 */
import { LRUCache } from 'lru-cache';
import type { ConsistencyConfig } from '../../config/consistency-schema.js';
import type { Upstream } from '../../upstream/upstream.js';
import { RecentWrites } from './recent-writes.js';
import type { SharedMarks } from './shared-marks.js';
import type { SharedSends } from './shared-sends.js';

/**
 * The mark of a session whose shared mark could not be read: above every head, so the request
 * goes to the upstream with the highest known head (upstream/route-select.ts). Never stored.
 */
export const UNKNOWN_MARK = Number.MAX_SAFE_INTEGER;

export interface SessionState {
  /** Highest block served to the session; -1 before its first `latest` read. */
  mark: number;
  /** When the mark was last read from Redis (performance.now()); -Infinity = never. */
  sharedReadAt: number;
  writes: RecentWrites | undefined;
  /** When other processes' sends were last read from Redis (performance.now()); -Infinity = never. */
  sendsReadAt: number;
}

/** Requests whose upstream choice the session narrowed (metrics; plain integers). */
export interface SessionRouteStats {
  /** `latest` reads routed at or above the session's mark. */
  mark: number;
  /** Reads about a recent send (and sends from a sender with one) routed to where it was seen. */
  send: number;
}

export class SessionStore {
  readonly routed: SessionRouteStats = { mark: 0, send: 0 };
  private readonly sessions: LRUCache<string, SessionState>;

  constructor(
    readonly network: string,
    private readonly config: ConsistencyConfig,
    private readonly shared: SharedMarks | undefined,
    /** Sends shared across processes (read-your-writes with `sessions.shared`); else undefined. */
    private readonly sends: SharedSends | undefined = undefined,
  ) {
    this.sessions = new LRUCache<string, SessionState>({
      max: config.sessions.maxSessions,
      ttl: config.sessions.ttlMs,
      updateAgeOnGet: true,
    });
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The session's state when it has one (does not create it, nor refresh its age). */
  peek(session: string): SessionState | undefined {
    return this.sessions.peek(session);
  }

  state(session: string): SessionState {
    let state = this.sessions.get(session);
    if (state === undefined) {
      state = {
        mark: -1,
        sharedReadAt: Number.NEGATIVE_INFINITY,
        writes: undefined,
        sendsReadAt: Number.NEGATIVE_INFINITY,
      };
      this.sessions.set(session, state);
    }
    return state;
  }

  /** The session's mark, from Redis first when it was read longer ago than `sharedReadMs`. */
  mark(session: string, state: SessionState): number | Promise<number> {
    const shared = this.shared;
    if (shared === undefined) return state.mark;
    const now = performance.now();
    if (now - state.sharedReadAt < this.config.sessions.sharedReadMs) return state.mark;
    state.sharedReadAt = now;
    return shared.read(this.network, session).then((mark) => {
      if (mark === undefined) {
        // Redis did not answer: the fleet's mark is unknown, so aim as high as there is.
        state.sharedReadAt = Number.NEGATIVE_INFINITY;
        return UNKNOWN_MARK;
      }
      if (mark > state.mark) state.mark = mark;
      return state.mark;
    });
  }

  /** Raises the mark to `block` when higher; with Redis, resolves once Redis has it too. */
  raise(session: string, state: SessionState, block: number): Promise<void> | undefined {
    if (block <= state.mark) return undefined;
    state.mark = block;
    return this.shared?.raise(this.network, session, block, this.config.sessions.ttlMs).then((mark) => {
      if (mark > state.mark) state.mark = mark;
    });
  }

  writes(state: SessionState): RecentWrites {
    const { windowMs, maxPerSession } = this.config.readYourWrites;
    state.writes ??= new RecentWrites(windowMs, maxPerSession);
    return state.writes;
  }

  /** Whether other processes' sends can be read (a read may be about a send made elsewhere). */
  get sharesSends(): boolean {
    return this.sends !== undefined;
  }

  /** Shares a send with the other processes; resolves once Redis has it (or failed). */
  shareSend(session: string, keys: string[], upstream: Upstream, at: number): Promise<void> | undefined {
    const windowMs = this.config.readYourWrites.windowMs;
    return this.sends?.record(this.network, session, keys, { upstreamId: upstream.id, at }, windowMs);
  }

  /**
   * Adopts the session's sends other processes recorded (at most every `sharedReadMs`), so a
   * read about one goes where it was seen. Upstreams are matched by id.
   */
  adoptShared(
    session: string,
    state: SessionState,
    upstreams: readonly Upstream[],
  ): Promise<void> | undefined {
    const sends = this.sends;
    if (sends === undefined) return undefined;
    const now = performance.now();
    if (now - state.sendsReadAt < this.config.sessions.sharedReadMs) return undefined;
    state.sendsReadAt = now;
    return sends.read(this.network, session).then((found) => {
      if (found === undefined) {
        state.sendsReadAt = Number.NEGATIVE_INFINITY;
        return;
      }
      const writes = this.writes(state);
      const nowMs = Date.now();
      for (const [key, send] of found) {
        if (nowMs - send.at > this.config.readYourWrites.windowMs || writes.find(key, nowMs) !== undefined)
          continue;
        const upstream = upstreams.find((candidate) => candidate.id === send.upstreamId);
        if (upstream !== undefined) writes.record(key, undefined, { upstream, at: send.at, block: -1 });
      }
    });
  }
}
