/** The `relayer` section: token transfers accepted over HTTP and executed by a key pool. */
import { z } from 'zod';
import { flag, httpUrl, milliseconds, numeric, positiveInt } from './primitives.js';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte hex address');

export const relayerKeysSchema = z.strictObject({
  /** Environment variable holding the private keys (0x-hex, separated by commas or whitespace). */
  env: z.string().default('TURNPIKE_RELAYER_KEYS'),
  /** A file of private keys (one per line, or a JSON array); read at start, never logged. */
  file: z.string().optional(),
});

export const relayerWebhookSchema = z.strictObject({
  /** Where terminal states are POSTed (only from config, never from a request). */
  url: httpUrl,
  /** HMAC-SHA256 key for `Turnpike-Signature` (`TURNPIKE_WEBHOOK_SECRET` overrides). */
  secret: z.string().min(16, 'expected at least 16 characters'),
  /** Tries per delivery before it is given up (kept in the database, marked abandoned). */
  maxAttempts: positiveInt.default(12),
  /** First retry delay; doubles each try, capped at 10 minutes. */
  retryBaseMs: positiveInt.default(1_000),
  timeoutMs: positiveInt.default(5_000),
});

export const relayerWaitSchema = z
  .strictObject({
    /** How long a `?wait=` request waits when it names no `timeoutMs`. */
    defaultTimeoutMs: positiveInt.default(10_000),
    /** The longest `timeoutMs` a request may ask for; more is refused with 400. */
    maxTimeoutMs: positiveInt.default(30_000),
    /** Requests waiting at once in this process; beyond it a `?wait=` request gets 503. */
    maxWaiters: positiveInt.default(1_000),
    /** How often one shared read looks at the states of every waited transfer. */
    pollMs: positiveInt.default(250),
  })
  .superRefine((wait, ctx) => {
    if (wait.defaultTimeoutMs > wait.maxTimeoutMs)
      ctx.addIssue({
        code: 'custom',
        path: ['defaultTimeoutMs'],
        message: 'must not exceed maxTimeoutMs',
      });
  });

export const relayerSchema = z
  .strictObject({
    enabled: flag().default(false),
    /** The network whose pipeline submits transactions and polls receipts. */
    network: z.string().optional(),
    /** Run the engine (key leases, signing, submission) in this process; false = accept only. */
    engine: flag().default(true),
    /**
     * Where `turnpike start` runs the engine. `own`: one extra cluster worker that serves no
     * HTTP, so signing, batching and receipt polling never sit in front of an accept on an
     * event loop. `shared`: every HTTP worker runs it on its share of the keys (with one worker,
     * all in one process).
     */
    engineProcess: z.enum(['own', 'shared']).default('own'),
    keys: relayerKeysSchema.prefault({}),
    /** Most keys this process leases at once (unset: every free key), so processes share them. */
    maxKeys: positiveInt.optional(),
    /** The Disperse-style batch contract (contracts/TurnpikeBatchTransfer.sol) on that network. */
    batchContract: address.optional(),
    /** Tokens a request may name, by name: `{ USDC: "0x…" }`. A request may also give the address. */
    tokens: z
      .record(z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'expected a short token name'), address)
      .default({}),
    /** The token of `/send-ft` requests (they name none). */
    defaultToken: z.string().optional(),
    maxTransfersPerRequest: positiveInt.default(1_000),
    maxMemoBytes: positiveInt.default(256),
    /** Open transfers (not yet confirmed or failed) above which new requests get 503. */
    maxQueueDepth: positiveInt.default(200_000),
    /** Requests arriving within this window are stored in one database commit. */
    acceptFlushMs: milliseconds.default(2),
    /** Most transfers in one batch transaction (the gas cap may lower it). */
    maxBatchSize: positiveInt.default(250),
    /**
     * A batch smaller than maxBatchSize is claimed only once its oldest transfer has waited this
     * long: under load batches fill at once, a trickle goes out in fewer, fuller transactions.
     */
    batchFillMs: milliseconds.default(200),
    /** Most gas one batch transaction may use. */
    gasCap: numeric(z.number().int().positive()).default(15_000_000),
    /** Transactions a key may have in flight (signed, not yet mined) at once. */
    maxInFlightPerKey: positiveInt.default(4),
    /** How often receipts of in-flight transactions are polled. */
    pollMs: positiveInt.default(500),
    /** A key lease lasts this long unless renewed (renewed every third of it). */
    leaseMs: positiveInt.default(15_000),
    /** How often the reconciler compares each key's chain nonce and receipts with the store. */
    reconcileMs: positiveInt.default(30_000),
    /**
     * Blocks, the one holding the transaction included, before its transfers count as confirmed.
     * Until then a reorg that drops the transaction puts it back in flight: the same signed bytes
     * (or a fee bump of them at the same nonce) go out again, so it still lands exactly once.
     */
    confirmations: positiveInt.default(1),
    /** A transaction not mined after this long is re-signed at the same nonce with higher fees. */
    stuckAfterMs: positiveInt.default(30_000),
    /** Fee increase of a replacement, in percent (nodes require at least 10). */
    feeBumpPercent: numeric(z.number().min(10).max(1_000)).default(15),
    /**
     * A transfer larger than any key can pay (its token balance or allowance) waits this long
     * for one that can, then fails with ERR_RELAYER_INSUFFICIENT_FUNDS. It never holds up others.
     */
    unfundedTimeoutMs: positiveInt.default(600_000),
    webhook: relayerWebhookSchema.optional(),
    /** `?wait=submitted|confirmed` on the transfer routes: answer once the transfers got there. */
    wait: relayerWaitSchema.prefault({}),
  })
  .superRefine((relayer, ctx) => {
    if (!relayer.enabled) return;
    if (relayer.network === undefined)
      ctx.addIssue({ code: 'custom', path: ['network'], message: 'required when the relayer is enabled' });
    if (relayer.batchContract === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['batchContract'],
        message: 'required when the relayer is enabled',
      });
    if (relayer.defaultToken !== undefined && !(relayer.defaultToken in relayer.tokens))
      ctx.addIssue({
        code: 'custom',
        path: ['defaultToken'],
        message: 'must name an entry of relayer.tokens',
      });
  });
