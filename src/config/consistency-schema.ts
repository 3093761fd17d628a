/**
 * The `consistency` section: sessions with monotonic reads, read-your-writes after
 * eth_sendRawTransaction, and the per-request directive headers each plan may use
 * (docs/consistency.md).
 */
import { z } from 'zod';
import { flag, nonNegativeInt, positiveInt } from './primitives.js';

/** What a client may ask of one request by header (docs/consistency.md#directives). */
export const DIRECTIVE_NAMES = ['upstream', 'skip-cache', 'min-block', 'max-lag', 'attempts'] as const;
export type DirectiveName = (typeof DIRECTIVE_NAMES)[number];

const directiveList = z.array(
  z.enum(DIRECTIVE_NAMES, { message: `expected one of ${DIRECTIVE_NAMES.join(', ')}` }),
);

export const sessionsSchema = z.strictObject({
  /** Sessions each process remembers; the least recently used is forgotten first. */
  maxSessions: positiveInt.default(100_000),
  /** A session unused this long is forgotten (its next read starts a new one). */
  ttlMs: positiveInt.default(600_000),
  /** Honour `X-Turnpike-Session` (a client's own session name, within its key). */
  header: flag().default(true),
  /** Share each session's high-water mark through Redis (storage.redisUrl) across instances. */
  shared: flag().default(true),
  /**
   * How long a mark read from Redis is reused before reading it again; 0 reads it before every
   * `latest` read (strict across instances, one Redis round trip each).
   */
  sharedReadMs: nonNegativeInt.default(100),
});

export const readYourWritesSchema = z.strictObject({
  enabled: flag().default(true),
  /** How long after a send its reads are routed to an upstream that has seen it. */
  windowMs: positiveInt.default(60_000),
  /** Sends each session remembers within the window; the oldest is forgotten first. */
  maxPerSession: positiveInt.default(64),
});

export const directivesSchema = z.strictObject({
  /** Directives of keyless requests. */
  keyless: directiveList.default([...DIRECTIVE_NAMES]),
  /** Directives of keys whose plan is not listed in `plans`. */
  default: directiveList.default([...DIRECTIVE_NAMES]),
  /** Plan name (or id) → the directives its keys may use. */
  plans: z.record(z.string().min(1), directiveList).default({}),
});

export const consistencySchema = z.strictObject({
  /** Sessions, monotonic reads, read-your-writes and directive headers. Off: none is read. */
  enabled: flag().default(false),
  sessions: sessionsSchema.prefault({}),
  readYourWrites: readYourWritesSchema.prefault({}),
  directives: directivesSchema.prefault({}),
});

export type ConsistencyConfig = z.output<typeof consistencySchema>;
