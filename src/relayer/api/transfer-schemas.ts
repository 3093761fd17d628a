/**
 * Every shape the relayer API takes, once, as zod schemas: the fields of a transfer, the bodies
 * of `POST /v1/transfers` (single, batch) and `POST /send-ft`, the `?wait=` and list queries,
 * the Idempotency-Key and a transaction hash. They validate requests (http/validation.ts, in
 * RELAYER_INPUT's style) and the same objects describe them in the OpenAPI document
 * (relayer-request-schemas.ts), with the config's real limits; the messages are the API's
 * (docs/relayer.md). Schemas that depend on the config are built once by a factory.
 * `.describe()` is for the document only: it changes no check (http/compile-schema.ts reads none).
 */
import { isAddress } from 'viem';
import { z } from 'zod';
import type { RelayerWaitConfig } from '../../config/schema.js';
import { compileSchema } from '../../http/compile-schema.js';
import type { InputStyle } from '../../http/validation.js';
import type { TransferState } from '../model.js';

/** Paths as the relayer writes them: `transfers.3.amount`; `(root)` for the body itself. */
export function dottedPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Bodies: unknown fields come first, after the body's own idempotencyKey. */
export const RELAYER_INPUT: InputStyle = {
  code: 'ERR_RELAYER_INVALID',
  formatPath: dottedPath,
  unknownField: 'unknown field',
  unknownFirst: ['idempotencyKey'],
};

export const RELAYER_QUERY: InputStyle = { ...RELAYER_INPUT, unknownField: 'unknown query parameter' };

/** A field's type error, or `required` when the field is missing. */
const orRequired = (message: string) => (issue: { readonly input?: unknown }) =>
  issue.input === undefined ? 'required' : message;

// ---------------------------------------------------------------------------------------------
// Fields

/** 2^256 - 1: the largest uint256, the most an ERC-20 `transfer` can carry. */
export const MAX_AMOUNT = (1n << 256n) - 1n;
/** 2^256 - 1 has 78 decimal digits; anything much longer is refused before BigInt parses it. */
const MAX_AMOUNT_DIGITS = 78;
const OVERFLOW = 'the amount overflows uint256 (most is 2^256-1)';

/** A 0x-prefixed 20-byte hex address; mixed case must be a valid EIP-55 checksum. Lowercased. */
export const addressSchema = z
  .string({ error: orRequired('expected a 0x-prefixed 20-byte hex address string') })
  .regex(/^0x[0-9a-fA-F]{40}$/, { error: 'expected a 0x-prefixed 20-byte hex address', abort: true })
  // A mixed-case address is a checksum claim, and a wrong one usually means a typo.
  .refine(checksumHolds, { error: 'the address has mixed case but a wrong EIP-55 checksum' })
  .transform(toLowerCase)
  .describe('0x + 40 hex digits; mixed case must be EIP-55.');

/** A positive integer amount of base units, as a decimal string, at most 2^256-1. */
export const amountSchema = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'required'
        : typeof issue.input === 'number' || typeof issue.input === 'bigint'
          ? 'expected a decimal string of base units, e.g. "1000000": JSON numbers are refused because they lose precision above 2^53'
          : 'expected a decimal string of base units, e.g. "1000000"',
  })
  .regex(/^[0-9]+$/, {
    error:
      'expected a positive integer decimal string of base units (digits only: no sign, point or exponent)',
    abort: true,
  })
  .transform(toAmount)
  .describe('Base units as a decimal string: greater than 0, at most 2^256-1.');

/** 1–128 printable ASCII characters (space to tilde): the Idempotency-Key header or field. */
export const idempotencyKeySchema = z
  .string({ error: 'expected a string of 1-128 printable ASCII characters' })
  .regex(/^[\x20-\x7e]{1,128}$/, { error: 'expected 1-128 printable ASCII characters' });

/** The header's schema, compiled: it is checked on every POST. */
export const idempotencyKeyCheck = compileSchema(idempotencyKeySchema);

/** A token name of `relayer.tokens` or one of their addresses (any case); the lowercase address. */
export function tokenSchema(tokens: ReadonlyMap<string, string>) {
  const names = [...tokens.keys()].filter((key) => !key.startsWith('0x'));
  const unknown =
    names.length === 0
      ? 'unknown token: relayer.tokens is empty'
      : `unknown token: expected one of ${names.join(', ')} or their addresses`;
  return z
    .string({ error: orRequired('expected a token name or address string') })
    .transform((value, ctx) => {
      const address = tokens.get(value) ?? tokens.get(value.toLowerCase());
      if (address !== undefined) return address;
      ctx.issues.push({ code: 'custom', message: unknown, input: value });
      return z.NEVER;
    })
    .describe(
      names.length === 0
        ? 'A token of `relayer.tokens`: none is configured, so every token is refused.'
        : `A token of \`relayer.tokens\`: ${names.join(', ')}, or one of their addresses (any case).`,
    );
}

/** At most `maxBytes` UTF-8 bytes. */
export function memoSchema(maxBytes: number) {
  return z
    .string({ error: 'expected a string' })
    .refine((memo) => Buffer.byteLength(memo, 'utf8') <= maxBytes, {
      error: (issue) =>
        `the memo is ${Buffer.byteLength(issue.input as string, 'utf8')} UTF-8 bytes; at most ${maxBytes} are allowed`,
    })
    .describe(`At most ${maxBytes} UTF-8 bytes (\`relayer.maxMemoBytes\`).`);
}

// ---------------------------------------------------------------------------------------------
// Bodies

/** What the body schemas need from `relayer`. */
export interface TransferLimits {
  /** Token name → lowercase address, and every configured lowercase address → itself. */
  readonly tokens: ReadonlyMap<string, string>;
  readonly maxTransfersPerRequest: number;
  readonly maxMemoBytes: number;
}

export type TransferBodySchemas = ReturnType<typeof transferBodySchemas>;

/**
 * `{ token, to, amount, memo?, idempotencyKey? }` or `{ transfers: [ … ], idempotencyKey? }`,
 * and `/send-ft`'s `{ receiverId, amount, memo? }` or `{ transfers: [ { receiverId, … } ] }`.
 */
export function transferBodySchemas(limits: TransferLimits) {
  const token = tokenSchema(limits.tokens);
  const memo = memoSchema(limits.maxMemoBytes).exactOptional();
  const idempotencyKey = idempotencyKeySchema
    .describe('Or the Idempotency-Key header (both only if equal).')
    .exactOptional();
  const transfer = z.strictObject(
    { token, to: addressSchema, amount: amountSchema, memo },
    'expected an object',
  );
  const sendFtTransfer = z.strictObject(
    { receiverId: addressSchema, amount: amountSchema, memo },
    'expected an object',
  );
  const max = limits.maxTransfersPerRequest;
  // zod checks the size of any value with a length (a string too, after its type error); only
  // an array's counts. `when` works on every check but is typed on a few only, hence `object`.
  const arraysOnly: object = { when: (payload: { value: unknown }) => Array.isArray(payload.value) };
  // Past `max` the items are not checked (zod checks an array's size first): it would only make
  // the answer larger.
  const list = <T extends z.ZodType>(item: T) =>
    z
      .array(item, 'expected an array of transfers')
      .min(1, { error: 'expected at least one transfer', ...arraysOnly })
      .max(max, {
        ...arraysOnly,
        error: (issue) =>
          `${(issue.input as unknown[]).length} transfers; at most ${max} are allowed per request (relayer.maxTransfersPerRequest)`,
      })
      .describe(`At most ${max} (\`relayer.maxTransfersPerRequest\`).`);
  const body = 'expected a JSON object';
  return {
    single: z.strictObject({ idempotencyKey, token, to: addressSchema, amount: amountSchema, memo }, body),
    batch: z.strictObject({ idempotencyKey, transfers: list(transfer) }, body),
    sendFtSingle: z.strictObject(
      { idempotencyKey, receiverId: addressSchema, amount: amountSchema, memo },
      body,
    ),
    sendFtBatch: z.strictObject({ idempotencyKey, transfers: list(sendFtTransfer) }, body),
  };
}

// ---------------------------------------------------------------------------------------------
// Queries and path parameters

export const WAIT_TARGETS = ['submitted', 'confirmed'] as const;
const TIMEOUT_DIGITS = /^[0-9]{1,9}$/;

/**
 * `?wait=submitted|confirmed&timeoutMs=` of the POSTs (values as sent, empty ones included).
 * `timeoutMs` is checked whenever it is given, whether or not `wait` is valid.
 */
export function waitQuerySchema(config: Pick<RelayerWaitConfig, 'maxTimeoutMs' | 'defaultTimeoutMs'>) {
  const { maxTimeoutMs, defaultTimeoutMs } = config;
  const always = () => true;
  return z
    .strictObject({
      wait: z
        .enum(WAIT_TARGETS, {
          error: (issue) => `expected submitted or confirmed, got "${String(issue.input).slice(0, 32)}"`,
        })
        .describe('Answer once every transfer got there.')
        .exactOptional(),
      timeoutMs: z
        .string()
        .describe(
          `1 to ${maxTimeoutMs} (\`relayer.wait.maxTimeoutMs\`); only with \`wait\`. @default ${defaultTimeoutMs}`,
        )
        .exactOptional(),
    })
    .refine((query) => query.timeoutMs === undefined || query.wait !== undefined, {
      path: ['timeoutMs'],
      error: 'only with wait',
      when: always,
    })
    .refine(
      (query) =>
        query.timeoutMs === undefined ||
        query.wait === undefined ||
        timeoutInRange(query.timeoutMs, maxTimeoutMs),
      {
        path: ['timeoutMs'],
        error: `expected an integer from 1 to ${maxTimeoutMs} (relayer.wait.maxTimeoutMs)`,
        when: always,
      },
    );
}

function timeoutInRange(text: string, max: number): boolean {
  if (!TIMEOUT_DIGITS.test(text)) return false;
  const ms = Number(text);
  return ms >= 1 && ms <= max;
}

export const TRANSFER_STATES = [
  'accepted',
  'batched',
  'signed',
  'submitted',
  'confirmed',
  'failed',
] as const satisfies readonly TransferState[];
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;
const LIMIT_MESSAGE = `expected an integer from 1 to ${MAX_LIST_LIMIT}`;

/** `GET /v1/transfers?status=&limit=&before=` (an empty value counts as absent). */
export const listQuerySchema = z.strictObject({
  status: z.enum(TRANSFER_STATES, `expected one of ${TRANSFER_STATES.join(', ')}`).exactOptional(),
  limit: z
    .string()
    .regex(/^[0-9]{1,4}$/, { error: LIMIT_MESSAGE, abort: true })
    .transform(Number)
    .pipe(z.number().min(1, LIMIT_MESSAGE).max(MAX_LIST_LIMIT, LIMIT_MESSAGE))
    .describe(`1 to ${MAX_LIST_LIMIT}. @default ${DEFAULT_LIST_LIMIT}`)
    .exactOptional(),
  before: z.string().describe('A transfer id: the page after it (`nextBefore`).').exactOptional(),
});

/** `/transfer/tx/{txHash}`. */
export const txHashSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'expected a transaction hash: 0x and 64 hex digits')
  .transform(toLowerCase);

// ---------------------------------------------------------------------------------------------

function checksumHolds(address: string): boolean {
  const hex = address.slice(2);
  const mixedCase = hex !== hex.toLowerCase() && hex !== hex.toUpperCase();
  return !mixedCase || isAddress(address, { strict: true });
}

function toLowerCase(value: string): string {
  return value.toLowerCase();
}

function toAmount(value: string, ctx: z.core.$RefinementCtx<string>): bigint {
  const digits = value.replace(/^0+(?=\d)/, '');
  const amount = digits.length > MAX_AMOUNT_DIGITS ? MAX_AMOUNT + 1n : BigInt(digits);
  const message =
    amount === 0n ? 'the amount must be greater than zero' : amount > MAX_AMOUNT ? OVERFLOW : undefined;
  if (message === undefined) return amount;
  ctx.issues.push({ code: 'custom', message, input: value });
  return z.NEVER;
}
