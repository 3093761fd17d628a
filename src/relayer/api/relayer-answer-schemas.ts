/**
 * The shapes of the relayer API's answers as zod schemas, each named in RELAYER_ANSWER_SCHEMAS:
 * they become components of its OpenAPI document (relayer-openapi.ts). What requests may send is
 * not here: the document describes it with the intake's own schemas (relayer-request-schemas.ts).
 */
import { z } from 'zod';
import { TRANSFER_STATES } from './transfer-schemas.js';

const state = z.enum(TRANSFER_STATES);
const timestamp = z.string().describe('ISO 8601.');
const txHash = z.string().nullable().describe('0x + 64 hex digits.');
const blockNumber = z.int().nullable();
const error = z.string().nullable().describe('A code and message when `failed`.');

export const acceptedSchema = z.object({
  id: z.string().optional().describe('A single transfer.'),
  ids: z.array(z.string()).optional().describe('A batch, in request order.'),
  requestId: z.string(),
  status: z.string().describe('`accepted`, or with `wait` the state reached.'),
  txHash: txHash.optional(),
  blockNumber: blockNumber.optional(),
  transfers: z.array(z.record(z.string(), z.unknown())).optional().describe('With `wait`, a batch.'),
});

export const transferSchema = z.object({
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
});

export const transferListSchema = z.object({
  transfers: z.array(transferSchema),
  nextBefore: z.string().nullable(),
});

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

export const sendFtAcceptedSchema = z.object({
  jobId: z.string(),
  status: z.string().describe('`queued`, or with `wait` the job status.'),
  transferIds: z.array(z.string()),
  transactionHash: txHash.optional(),
  transfers: z.array(jobTransfer).optional(),
});

export const jobSchema = z.object({
  jobId: z.string(),
  status: jobStatus,
  createdAt: timestamp.nullable(),
  transfers: z.array(jobTransfer),
});

export const transactionSchema = z.object({
  transactionHash: z.string(),
  transfers: z.array(jobTransfer.extend({ jobId: z.string() })),
});

export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded', 'unavailable']),
  timestamp,
  relayer: z.object({
    network: z.string(),
    ready: z.boolean(),
    engine: z.boolean().describe('Whether this process executes transfers.'),
    queue: z.object({ open: z.int().nullable(), max: z.int() }),
    waiting: z.int().describe('Requests holding a `?wait=` in this process.'),
  }),
});

export const relayerErrorSchema = z.object({
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
});

export const relayerOpenApiSchema = z.record(z.string(), z.unknown()).describe('This document.');

/** Each answer schema under its component name (`#/components/schemas/<name>`), in document order. */
export const RELAYER_ANSWER_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  Accepted: acceptedSchema,
  Transfer: transferSchema,
  TransferList: transferListSchema,
  SendFtAccepted: sendFtAcceptedSchema,
  Job: jobSchema,
  TransactionTransfers: transactionSchema,
  RelayerHealth: healthSchema,
  Error: relayerErrorSchema,
  OpenApiDocument: relayerOpenApiSchema,
};
