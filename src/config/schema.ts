/**
 * The one configuration schema. Types are inferred from it; every option is documented in
 * docs/configuration.md (a test walks this schema and fails on an undocumented path).
 * Objects are strict: an unknown key is an error, so a typo never silently does nothing.
 */
import { z } from 'zod';

import { consistencySchema } from './consistency-schema.js';
import { logSplitSchema, notYetRetrySchema, upstreamLogsSchema } from './late-reads-schema.js';
import { flag, httpUrl, milliseconds, nonNegativeInt, numeric, positiveInt, wsUrl } from './primitives.js';
import { realtimeSchema } from './realtime-schema.js';
import { relayerSchema } from './relayer-schema.js';

export const poolSchema = z.strictObject({
  /** Keep-alive sockets per upstream per worker. */
  connections: positiveInt.default(64),
  /** HTTP/1.1 pipelining depth per socket (1 = off; most nodes do not pipeline safely). */
  pipelining: positiveInt.default(1),
  keepAliveTimeoutMs: positiveInt.default(30_000),
  connectTimeoutMs: positiveInt.default(5_000),
});

export const upstreamSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, "_", "." or "-"')
    .optional(),
  url: httpUrl,
  /** The same node's WebSocket endpoint: its new heads nudge the chain tracker; pending transactions. */
  wsUrl: wsUrl.optional(),
  weight: numeric(z.number().positive()).default(1),
  tier: z.enum(['primary', 'fallback']).default('primary'),
  headers: z.record(z.string(), z.string()).default({}),
  /** A larger answer fails the attempt instead of filling the worker's memory. */
  maxResponseBytes: positiveInt.default(128 * 1024 * 1024),
  pool: poolSchema.prefault({}),
  /** `eth_getLogs` limits of this upstream: wider ranges are split (docs/consistency.md). */
  logs: upstreamLogsSchema.prefault({}),
});

export const retrySchema = z.strictObject({
  /** Total attempts, the first included; each retry goes to a different upstream. */
  maxAttempts: numeric(z.number().int().positive().max(10)).default(3),
  backoffMs: milliseconds.default(0),
});

export const hedgeSchema = z.strictObject({
  enabled: flag().default(false),
  /** Start a second attempt after this quantile of the upstream's observed latency. */
  quantile: numeric(z.number().gt(0).lt(1)).default(0.9),
  minDelayMs: milliseconds.default(20),
  maxDelayMs: positiveInt.default(2_000),
});

export const breakerSchema = z.strictObject({
  /** Failure ratio in the window that opens the breaker. */
  failureRate: numeric(z.number().gt(0).lte(1)).default(0.5),
  minRequests: positiveInt.default(10),
  /** Failures in a row that open the breaker whatever the window holds. */
  consecutiveFailures: positiveInt.default(5),
  windowMs: positiveInt.default(10_000),
  openMs: positiveInt.default(5_000),
  halfOpenProbes: positiveInt.default(3),
});

export const failsafeSchema = z.strictObject({
  attemptTimeoutMs: positiveInt.default(5_000),
  deadlineMs: positiveInt.default(15_000),
  retry: retrySchema.prefault({}),
  hedge: hedgeSchema.prefault({}),
  breaker: breakerSchema.prefault({}),
});

export const healthSchema = z.strictObject({
  /** Check the chain id of every upstream at start (`eth_chainId`; NEAR: `status`) and exclude mismatches. */
  checkChainId: flag().default(true),
  /** How often the health loop runs; an upstream is probed only when idle this long. */
  probeIntervalMs: positiveInt.default(5_000),
  /** Unset: the family's head method (`eth_blockNumber`; NEAR: `status`), which also updates the head. */
  probeMethod: z.string().min(1).optional(),
  /** Exclude upstreams more than this many blocks behind the highest head (0 = off). */
  maxBlockLag: nonNegativeInt.default(5),
});

/** A smooth rate (GCRA): `perSecond` on average, up to `burst` at once. */
export const rateSchema = z.strictObject({
  perSecond: numeric(z.number().positive()),
  burst: positiveInt.optional(),
});

export const accessSchema = z.strictObject({
  /**
   * Serve requests that carry no API key. Defaults to true when `tenancy.enabled` is false
   * (every network is open), false otherwise.
   */
  keyless: flag().optional(),
  /** Per client IP limit for keyless requests (none when unset). */
  keylessRateLimit: rateSchema.optional(),
});

export const cacheRuleSchema = z.strictObject({
  /** JSON-RPC method name, or a prefix ending in `*` (`debug_*`). */
  method: z.string().min(1),
  /** `never` = not cached; `forever` = until evicted; else a TTL in ms. */
  ttl: z.union([z.enum(['never', 'forever']), positiveInt]),
});

export const networkCacheSchema = z.strictObject({
  enabled: flag().default(true),
  /**
   * How to tell final blocks: the chain's `finalized` tag, or `depth` confirmations below the
   * head (for chains without the tag, and for anvil).
   */
  finality: z.enum(['tag', 'depth']).default('tag'),
  /** Confirmations below the head that count as final with `finality: depth`. */
  depth: nonNegativeInt.default(12),
  /** TTL of answers that depend on blocks not yet final (they are also dropped on a reorg). */
  unfinalizedTtlMs: positiveInt.default(5_000),
  /** Cache `latest` / `pending` answers this long (0 = never). */
  tipTtlMs: nonNegativeInt.default(0),
  /** Cache empty results (`null`, `[]`, `0x`): off, since they are often "not yet". */
  cacheEmpty: flag().default(false),
  /** Answer `eth_blockNumber` from the chain tracker when its head is at most this old (0 = off). */
  blockNumberMaxAgeMs: nonNegativeInt.default(2_000),
  /** How often the chain tracker reads the head block (it follows parent hashes to see reorgs). */
  headPollMs: positiveInt.default(2_000),
  /** NEAR: how long an answer at `finality: final` is served from the cache (0 = never). */
  finalTtlMs: nonNegativeInt.default(1_000),
  /** Overrides of the built-in rules, first match wins. */
  rules: z.array(cacheRuleSchema).default([]),
});

/** A NEAR chain id as `status` reports it (`mainnet`, `testnet`, a localnet's name). */
const nearChainId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a chain id such as "mainnet"');

export const networkSchema = z.strictObject({
  /** The chain family: its method table, health checks and cache policy. */
  type: z.enum(['evm', 'near']).default('evm'),
  /** EVM: an integer (`eth_chainId`). NEAR: the `chain_id` of `status` (`mainnet`). */
  chainId: z.union([positiveInt, nearChainId]).optional(),
  access: accessSchema.prefault({}),
  cache: networkCacheSchema.prefault({}),
  /** Extra names that route to this network via the `Target-Service-Id` header. */
  serviceIds: z.array(z.string().min(1)).default([]),
  upstreams: z.array(upstreamSchema).min(1, 'expected at least one upstream'),
  failsafe: failsafeSchema.prefault({}),
  health: healthSchema.prefault({}),
  /** "Not yet" answers retried on an upstream that has the block (docs/consistency.md). */
  notYetRetry: notYetRetrySchema.prefault({}),
  /** `eth_getLogs` range splitting (docs/consistency.md). */
  logSplit: logSplitSchema.prefault({}),
});

export const corsSchema = z.strictObject({
  enabled: flag().default(true),
  origins: z.array(z.string()).default(['*']),
  maxAgeSeconds: nonNegativeInt.default(600),
});

export const compressionSchema = z.strictObject({
  enabled: flag().default(true),
  minBytes: nonNegativeInt.default(1024),
});

export const serverSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: numeric(z.number().int().min(0).max(65_535)).default(4000),
  /** Cluster workers; 0 means one per core. */
  workers: nonNegativeInt.default(0),
  maxBodyBytes: positiveInt.default(1_048_576),
  maxBatchSize: positiveInt.default(100),
  maxHeaderBytes: positiveInt.default(16_384),
  /** Request bytes a worker buffers across all connections before answering 503. */
  maxBufferedRequestBytes: positiveInt.default(67_108_864),
  headersTimeoutMs: positiveInt.default(10_000),
  requestTimeoutMs: positiveInt.default(30_000),
  /** Above common load balancer idle timeouts (60 s) so the balancer closes first. */
  keepAliveTimeoutMs: positiveInt.default(65_000),
  maxConnections: positiveInt.default(10_000),
  shutdownGraceMs: positiveInt.default(15_000),
  serverTiming: flag().default(true),
  /** Name the chosen upstream in `X-Turnpike-Upstream`. */
  exposeUpstream: flag().default(true),
  /** Peers (load balancers) whose `X-Forwarded-For` names the client, for per-IP limits. */
  trustedProxies: z.array(z.string().min(1)).default([]),
  compression: compressionSchema.prefault({}),
  cors: corsSchema.prefault({}),
});

export const loggingSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Log one line per request (costly at high rates). */
  requests: flag().default(false),
});

export const databasePoolSchema = z.strictObject({
  /** PostgreSQL connections per process (each cluster worker has its own pool). */
  max: positiveInt.default(10),
  idleTimeoutMs: positiveInt.default(30_000),
  connectionTimeoutMs: positiveInt.default(5_000),
  /** Server-side `statement_timeout` for every query. */
  statementTimeoutMs: positiveInt.default(10_000),
});

export const storageSchema = z.strictObject({
  /**
   * A SQLite file (relative paths are resolved from the working directory) or a
   * `postgres://` URL. The `DATABASE_URL` environment variable overrides it.
   */
  database: z.string().min(1).default('turnpike.db'),
  /** PostgreSQL schema for every table (created when missing). */
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'expected a lowercase SQL identifier')
    .default('public'),
  pool: databasePoolSchema.prefault({}),
  /**
   * `redis://` / `rediss://` URL, or `redis+cluster://host:port,host:port` for Redis Cluster.
   * The `REDIS_URL` environment variable overrides it. Unset: hot state stays in-process.
   */
  redisUrl: z.string().min(1).optional(),
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  redisKeyPrefix: z.string().default('turnpike:'),
});

export const tenancySchema = z.strictObject({
  /** Require API keys (per network, see `networks.<name>.access`), meter usage, enforce plans. */
  enabled: flag().default(false),
  /** Token for `/admin/v1/…` (`TURNPIKE_ADMIN_TOKEN` overrides). Unset: the admin API is off. */
  adminToken: z.string().min(16, 'expected at least 16 characters').optional(),
  /** How often aggregated usage is written to the database (the crash-loss window). */
  usageFlushMs: positiveInt.default(1_000),
  /** How often each process checks the database for key and plan changes (without Redis). */
  changePollMs: positiveInt.default(500),
  /** How often cached credit balances and monthly usage are re-read. */
  balanceRefreshMs: positiveInt.default(1_000),
  /** Most keys held in each process's lookup cache. */
  keyCacheSize: positiveInt.default(100_000),
  /** When Redis cannot answer a rate-limit decision: admit (`open`), refuse (`closed`), or limit per process (`local`). */
  rateLimitFailure: z.enum(['open', 'closed', 'local']).default('open'),
  /**
   * How long a rate-limit decision may wait for Redis before `rateLimitFailure` settles it (the
   * command timeout of the tenancy Redis connection).
   */
  rateLimitTimeoutMs: numeric(
    z
      .number({ error: 'expected a whole number of milliseconds from 10 to 10000' })
      .int('expected a whole number of milliseconds from 10 to 10000')
      .min(10, 'expected at least 10 ms (below it a healthy Redis round trip times out)')
      .max(10_000, 'expected at most 10000 ms (every keyed request may wait this long on a silent Redis)'),
  ).default(250),
});

export const cacheSchema = z.strictObject({
  /** Bytes of `result` data the in-process LRU may hold per worker. */
  memoryBytes: positiveInt.default(256 * 1024 * 1024),
  /** Largest single value kept in memory (bigger ones go to Redis only, if configured). */
  maxEntryBytes: positiveInt.default(8 * 1024 * 1024),
  /** Use Redis (storage.redisUrl / REDIS_URL) as a shared second tier when it is configured. */
  redis: flag().default(true),
  /** Values at least this large are compressed in Redis. */
  compressMinBytes: nonNegativeInt.default(1024),
  /** How long one instance may hold the fill lock of a key before others call upstream too. */
  fillLockMs: positiveInt.default(2_000),
});

export const configSchema = z
  .strictObject({
    server: serverSchema.prefault({}),
    logging: loggingSchema.prefault({}),
    storage: storageSchema.prefault({}),
    tenancy: tenancySchema.prefault({}),
    cache: cacheSchema.prefault({}),
    relayer: relayerSchema.prefault({}),
    realtime: realtimeSchema.prefault({}),
    consistency: consistencySchema.prefault({}),
    networks: z
      .record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected a lowercase network name'), networkSchema)
      .refine((networks) => Object.keys(networks).length > 0, 'expected at least one network'),
  })
  .superRefine((config, ctx) => {
    const relayerNetwork = config.relayer.network;
    if (config.relayer.enabled && relayerNetwork !== undefined && !(relayerNetwork in config.networks))
      ctx.addIssue({
        code: 'custom',
        path: ['relayer', 'network'],
        message: `no network "${relayerNetwork}"`,
      });
    if (
      config.relayer.enabled &&
      relayerNetwork !== undefined &&
      config.networks[relayerNetwork]?.type === 'near'
    )
      ctx.addIssue({
        code: 'custom',
        path: ['relayer', 'network'],
        message: `network "${relayerNetwork}" is a NEAR network; the relayer sends EVM transactions only`,
      });
    for (const [name, network] of Object.entries(config.networks)) {
      const chainId = network.chainId;
      if (chainId !== undefined && (typeof chainId === 'number') !== (network.type === 'evm'))
        ctx.addIssue({
          code: 'custom',
          path: ['networks', name, 'chainId'],
          message:
            network.type === 'evm'
              ? 'expected an integer chain id on an EVM network'
              : 'expected a NEAR chain id such as "mainnet" (a string) on a NEAR network',
        });
      const seen = new Set<string>();
      network.upstreams.forEach((upstream, index) => {
        const id = upstream.id ?? `${name}-${index}`;
        if (seen.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['networks', name, 'upstreams', index, 'id'],
            message: `duplicate upstream id "${id}"`,
          });
        }
        seen.add(id);
      });
      if (network.failsafe.attemptTimeoutMs > network.failsafe.deadlineMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['networks', name, 'failsafe', 'attemptTimeoutMs'],
          message: 'must not exceed failsafe.deadlineMs',
        });
      }
    }
  });

export type TurnpikeConfigInput = z.input<typeof configSchema>;
export type TurnpikeConfig = z.output<typeof configSchema>;
export type NetworkConfig = z.output<typeof networkSchema>;
export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type FailsafeConfig = z.output<typeof failsafeSchema>;
export type BreakerConfig = z.output<typeof breakerSchema>;
export type HealthConfig = z.output<typeof healthSchema>;
export type ServerConfig = z.output<typeof serverSchema>;
export type PoolConfig = z.output<typeof poolSchema>;
export type StorageConfig = z.output<typeof storageSchema>;
export type TenancyConfig = z.output<typeof tenancySchema>;
export type RateConfig = z.output<typeof rateSchema>;
export type AccessConfig = z.output<typeof accessSchema>;
export type CacheConfig = z.output<typeof cacheSchema>;
export type NetworkCacheConfig = z.output<typeof networkCacheSchema>;
export type RelayerConfig = z.output<typeof relayerSchema>;
export type RealtimeConfig = z.output<typeof realtimeSchema>;
export type RelayerWaitConfig = RelayerConfig['wait'];
export type CacheRuleConfig = z.output<typeof cacheRuleSchema>;
export type NetworkType = NetworkConfig['type'];
