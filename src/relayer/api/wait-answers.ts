/**
 * The `?wait=submitted|confirmed&timeoutMs=` query of the transfer POSTs, and the answers of a
 * wait: 200 with the transaction hashes once every transfer got there, 422
 * ERR_RELAYER_TRANSFER_FAILED when one failed, and the usual 202 body when the timeout ran out.
 */
import type { RelayerWaitConfig } from '../../config/schema.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { IssueList } from '../../errors/issues.js';
import { readQueryParams } from '../../http/json-io.js';
import { addIssues } from '../../http/validation.js';
import type { TransferRecord } from '../model.js';
import { RELAYER_QUERY, waitQuerySchema } from './transfer-schemas.js';
import { jobView } from './transfer-views.js';
import type { WaitOutcome, WaitTarget } from './transfer-waits.js';

export interface WaitRequest {
  readonly target: WaitTarget;
  readonly timeoutMs: number;
}

export type WaitQuerySchema = ReturnType<typeof waitQuerySchema>;

/** The query schema of each wait config, built on first use. */
const schemas = new WeakMap<RelayerWaitConfig, WaitQuerySchema>();

/** The schema parseWaitQuery checks with for `config` (the OpenAPI document describes it). */
export function waitQueryOf(config: RelayerWaitConfig): WaitQuerySchema {
  let schema = schemas.get(config);
  if (schema === undefined) {
    schema = waitQuerySchema(config);
    schemas.set(config, schema);
  }
  return schema;
}

/** The wait a POST asks for (undefined: none); every problem of the query goes to `issues`. */
export function parseWaitQuery(
  url: string,
  config: RelayerWaitConfig,
  issues: IssueList,
): WaitRequest | undefined {
  const query = readQueryParams(url);
  if (query === undefined) return undefined;
  const parsed = waitQueryOf(config).safeParse(query.params);
  if (!parsed.success || query.repeated.size > 0) {
    // Unknown and repeated parameters (a repeated one's first value is checked all the same)
    // come first, in the order the query gives them; then zod's other issues.
    const found = parsed.success ? [] : parsed.error.issues;
    const unknown = new Set(found.flatMap((issue) => (issue.code === 'unrecognized_keys' ? issue.keys : [])));
    for (const name of query.names)
      if (unknown.has(name)) issues.push({ path: name, message: RELAYER_QUERY.unknownField });
      else if (query.repeated.has(name)) issues.push({ path: name, message: 'given more than once' });
    addIssues(
      found.filter((issue) => issue.code !== 'unrecognized_keys'),
      issues,
      RELAYER_QUERY,
      undefined,
    );
    return undefined;
  }
  const { wait, timeoutMs } = parsed.data;
  if (wait === undefined) return undefined;
  return { target: wait, timeoutMs: timeoutMs === undefined ? config.defaultTimeoutMs : Number(timeoutMs) };
}

/** The body of the POST's usual answer, as postTransfers builds it. */
interface UsualBody {
  readonly id?: string;
  readonly ids?: readonly string[];
  readonly requestId?: string;
  readonly jobId?: string;
  readonly transferIds?: readonly string[];
}

/**
 * The answer after a wait: the usual one (202, or 200 for a replay) when it timed out, 200 with
 * the hashes when settled without failure; throws ERR_RELAYER_TRANSFER_FAILED otherwise.
 */
export function waitAnswer(
  outcome: WaitOutcome,
  usual: { readonly status: number; readonly body: unknown },
  sendFt: boolean,
): { status: number; body: unknown } {
  // A replay keeps its 200 without a wait; with one, 202 says "not there yet" either way.
  if (outcome.kind !== 'settled') return { status: 202, body: usual.body };
  const body = usual.body as UsualBody;
  const records = outcome.records;
  const requestId = body.requestId ?? body.jobId ?? '';
  const failed = records.filter((record) => record.state === 'failed');
  if (failed.length > 0) {
    const first = failed[0]!;
    throw new GatewayError(
      'ERR_RELAYER_TRANSFER_FAILED',
      `${failed.length} of ${records.length} transfers failed; ${first.id}: ${first.error ?? 'failed'}`,
      { data: { requestId, transfers: records.map(outcomeOf) } },
    );
  }
  if (sendFt) {
    const job = jobView(requestId, records);
    const hashes = new Set(records.map((record) => record.txHash));
    return {
      status: 200,
      body: {
        jobId: requestId,
        status: job.status,
        transferIds: body.transferIds,
        // One hash when the job went in one transaction (always, for one transfer).
        transactionHash: hashes.size === 1 ? (records[0]?.txHash ?? null) : null,
        transfers: job.transfers,
      },
    };
  }
  const status = records.every((record) => record.state === 'confirmed') ? 'confirmed' : 'submitted';
  if (body.id !== undefined) {
    const record = records[0]!;
    return {
      status: 200,
      body: { id: body.id, requestId, status, txHash: record.txHash, blockNumber: record.blockNumber },
    };
  }
  return { status: 200, body: { ids: body.ids, requestId, status, transfers: records.map(outcomeOf) } };
}

function outcomeOf(record: TransferRecord) {
  return {
    id: record.id,
    status: record.state,
    txHash: record.txHash,
    blockNumber: record.blockNumber,
    error: record.error,
    errorCode: record.errorCode,
  };
}
