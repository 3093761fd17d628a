/**
 * The sessions of one network in this process: an LRU bounded by count with a TTL, each holding
 * the highest block served to the session (its mark) and its recent sends. With Redis the mark
 * is shared across instances (shared-marks.ts): read at most every `sharedReadMs`, raised with
 * an atomic max before the answer that raised it leaves.
 */
import { LRUCache } from 'lru-cache';
import type { ConsistencyConfig } from '../../config/consistency-schema.js';
import { RecentWrites } from './recent-writes.js';
import type { SharedMarks } from './shared-marks.js';

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
      state = { mark: -1, sharedReadAt: Number.NEGATIVE_INFINITY, writes: undefined };
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
}
