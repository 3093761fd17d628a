/**
 * The relayer API's shapes as zod schemas, named in `relayerSchemas`: they become the
 * components of its OpenAPI document (relayer-openapi.ts). Intake still validates with
 * transfer-body.ts (fast, hand-written); these describe the same rules, so the two can be made
 * one (see docs/relayer.md).
 */
import { z } from 'zod';

/** Named schemas: each becomes `#/components/schemas/<id>` in the OpenAPI document. */
export const relayerSchemas = z.registry<{ id: string }>();

function named<T extends z.ZodType>(id: string, schema: T): T {
  relayerSchemas.add(schema, { id });
  return schema;
}

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/)
  .describe('0x + 40 hex digits; mixed case must be EIP-55.');
const amount = z
  .string()
  .regex(/^[0-9]+$/)
  .describe('Base units as a decimal string: greater than 0, at most 2^256-1.');
const memo = z.string().describe('At most `relayer.maxMemoBytes` UTF-8 bytes.');
const idempotencyKey = z
  .string()
  .min(1)
  .max(128)
  .describe('Or the Idempotency-Key header (both only if equal); printable ASCII.');
const state = z.enum(['accepted', 'batched', 'signed', 'submitted', 'confirmed', 'failed']);
const timestamp = z.string().describe('ISO 8601.');
const txHash = z.string().nullable().describe('0x + 64 hex digits.');
const blockNumber = z.int().nullable();
const error = z.string().nullable().describe('A code and message when `failed`.');

// ---------------------------------------------------------------------------------------------
// Bodies

export const transferInputSchema = named(
  'TransferInput',
  z.strictObject({
    token: z.string().describe('A name of `relayer.tokens` or one of their addresses.'),
    to: address,
    amount,
    memo: memo.optional(),
  }),
);

export const transferRequestSchema = named(
  'TransferRequest',
  z.union([
    transferInputSchema.extend({ idempotencyKey: idempotencyKey.optional() }),
    z.strictObject({
      transfers: z.array(transferInputSchema).min(1).describe('At most `relayer.maxTransfersPerRequest`.'),
      idempotencyKey: idempotencyKey.optional(),
    }),
  ]),
);

const sendFtTransfer = z.strictObject({ receiverId: address, amount, memo: memo.optional() });

export const sendFtRequestSchema = named(
  'SendFtRequest',
  z.union([
    sendFtTransfer.extend({ idempotencyKey: idempotencyKey.optional() }),
    z.strictObject({ transfers: z.array(sendFtTransfer).min(1), idempotencyKey: idempotencyKey.optional() }),
  ]),
);

// ---------------------------------------------------------------------------------------------
// Queries

export const waitQuerySchema = z.strictObject({
  wait: z.enum(['submitted', 'confirmed']).describe('Answer once every transfer got there.').optional(),
  timeoutMs: z.string().describe('1 to `relayer.wait.maxTimeoutMs`; only with `wait`.').optional(),
});

export const listQuerySchema = z.strictObject({
  status: state.optional(),
  limit: z.string().describe('1 to 500. @default 50').optional(),
  before: z.string().describe('A transfer id: the page after it (`nextBefore`).').optional(),
});

// ---------------------------------------------------------------------------------------------
// Answers

export const acceptedSchema = named(
  'Accepted',
  z.object({
    id: z.string().optional().describe('A single transfer.'),
    ids: z.array(z.string()).optional().describe('A batch, in request order.'),
    requestId: z.string(),
    status: z.string().describe('`accepted`, or with `wait` the state reached.'),
    txHash: txHash.optional(),
    blockNumber: blockNumber.optional(),
    transfers: z.array(z.record(z.string(), z.unknown())).optional().describe('With `wait`, a batch.'),
  }),
);

export const transferSchema = named(
  'Transfer',
  z.object({
    id: z.string(),
    requestId: z.string(),
    status: state,
    token: z.string(),
    to: z.string(),
    amount: z.string(),
    memo: z.string().nullable(),
    txHash,
    blockNumber,
    error,
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
);

export const transferListSchema = named(
  'TransferList',
  z.object({ transfers: z.array(transferSchema), nextBefore: z.string().nullable() }),
);

const jobTransfer = z.object({
  id: z.string(),
  receiverId: z.string(),
  amount: z.string(),
  memo: z.string().nullable(),
  status: state,
  transactionHash: txHash,
  blockNumber,
  error,
});
const jobStatus = z.enum(['queued', 'processing', 'completed', 'failed', 'partially_failed']);

export const sendFtAcceptedSchema = named(
  'SendFtAccepted',
  z.object({
    jobId: z.string(),
    status: z.string().describe('`queued`, or with `wait` the job status.'),
    transferIds: z.array(z.string()),
    transactionHash: txHash.optional(),
    transfers: z.array(jobTransfer).optional(),
  }),
);

export const jobSchema = named(
  'Job',
  z.object({
    jobId: z.string(),
    status: jobStatus,
    createdAt: timestamp.nullable(),
    transfers: z.array(jobTransfer),
  }),
);

export const transactionSchema = named(
  'TransactionTransfers',
  z.object({
    transactionHash: z.string(),
    transfers: z.array(jobTransfer.extend({ jobId: z.string() })),
  }),
);

export const healthSchema = named(
  'RelayerHealth',
  z.object({
    status: z.enum(['ok', 'degraded', 'unavailable']),
    timestamp,
    relayer: z.object({
      network: z.string(),
      ready: z.boolean(),
      engine: z.boolean().describe('Whether this process executes transfers.'),
      queue: z.object({ open: z.int().nullable(), max: z.int() }),
      waiting: z.int().describe('Requests holding a `?wait=` in this process.'),
    }),
  }),
);

export const relayerErrorSchema = named(
  'Error',
  z.object({
    error: z.object({
      code: z.string().describe('Stable code, e.g. ERR_RELAYER_INVALID (see docs/errors.md).'),
      message: z.string(),
      issues: z
        .array(z.object({ path: z.string().describe('e.g. `transfers.3.amount`'), message: z.string() }))
        .describe('The first 20 invalid fields (ERR_RELAYER_INVALID only).')
        .optional(),
      issueCount: z.int().describe('How many invalid fields there were in all.').optional(),
      requestId: z.string().optional().describe('ERR_RELAYER_TRANSFER_FAILED only.'),
      transfers: z
        .array(z.record(z.string(), z.unknown()))
        .optional()
        .describe('ERR_RELAYER_TRANSFER_FAILED only: each transfer of the request.'),
    }),
  }),
);

export const relayerOpenApiSchema = named(
  'OpenApiDocument',
  z.record(z.string(), z.unknown()).describe('This document.'),
);
