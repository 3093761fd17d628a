/**
 * `POST /v1/transfers` and `POST /send-ft`: validate, check the queue depth, admit (credits and
 * quota for every transfer of the request, or 402 and nothing stored), then wait for the intake
 * commit that stores the request, and only then answer. 202 for a new request;
 * 200 with `Idempotent-Replayed: true` and the first answer's ids for the same key and body;
 * 409 for the same key and another body. With `?wait=`, a waiter slot is taken before anything
 * is stored, and the answer waits for the transfers (wait-answers.ts).
 */
import { randomUUID } from 'node:crypto';
import type { RelayerWaitConfig } from '../../config/schema.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { IssueList } from '../../errors/issues.js';
import type { HttpRequest } from '../../http/exchange.js';
import { collectCompiled } from '../../http/validation.js';
import type { AcceptResult } from '../model.js';
import type { IntakeBuffer } from './intake-buffer.js';
import type { QueueDepth } from './queue-depth.js';
import { admitTransfers, type RelayerCaller, recordTransfers } from './relayer-access.js';
import type { RelayerApiMetrics } from './relayer-api-metrics.js';
import { requestHash } from './request-hash.js';
import {
  invalidRelayerRequest,
  type ParsedTransfers,
  parseSendFtBody,
  parseTransfersBody,
} from './transfer-body.js';
import type { TransferRules } from './transfer-fields.js';
import { idempotencyKeyCheck, RELAYER_INPUT } from './transfer-schemas.js';
import type { TransferWaits } from './transfer-waits.js';
import { parseWaitQuery, type WaitRequest, waitAnswer } from './wait-answers.js';

export interface IntakeParts {
  readonly rules: TransferRules;
  readonly defaultToken: string | undefined;
  readonly buffer: IntakeBuffer;
  readonly queue: QueueDepth;
  readonly metrics: RelayerApiMetrics;
  readonly waits: TransferWaits;
  readonly waitConfig: RelayerWaitConfig;
}

export type IntakeRoute = 'v1' | 'send-ft';

export interface IntakeAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

/**
 * Validates and stores one POST, then waits if asked to; throws a GatewayError for every
 * refusal. `onClientGone` ends a wait early when the client leaves (ResponseWriter's).
 */
export async function postTransfers(
  parts: IntakeParts,
  route: IntakeRoute,
  caller: RelayerCaller,
  req: HttpRequest,
  body: unknown,
  onClientGone?: (listener: () => void) => () => void,
): Promise<IntakeAnswer> {
  const { parsed, idempotencyKey, wait } = validate(parts, route, req, body);
  if (wait !== undefined) parts.waits.reserve();
  let stored: { answer: IntakeAnswer; ids: readonly string[] };
  try {
    stored = await storeTransfers(parts, route, caller, req, parsed, idempotencyKey);
  } catch (err) {
    if (wait !== undefined) parts.waits.release();
    throw err;
  }
  const { answer, ids } = stored;
  if (wait === undefined) return answer;
  // Idempotency is untouched: a replay waits on the stored transfers and answers with them.
  const outcome = await parts.waits.wait(ids, wait.target, wait.timeoutMs, onClientGone);
  return { ...waitAnswer(outcome, answer, route === 'send-ft'), headers: answer.headers };
}

async function storeTransfers(
  parts: IntakeParts,
  route: IntakeRoute,
  caller: RelayerCaller,
  req: HttpRequest,
  parsed: ParsedTransfers,
  idempotencyKey: string,
): Promise<{ answer: IntakeAnswer; ids: readonly string[] }> {
  const count = parsed.transfers.length;
  await parts.queue.reserve(count);
  let result: AcceptResult;
  let admitted = false;
  try {
    await admitTransfers(caller, req.body.length, count);
    admitted = true;
    result = await parts.buffer.submit({
      projectId: caller.projectId,
      idempotencyKey,
      requestHash: requestHash(parsed.form, parsed.transfers),
      transfers: parsed.transfers,
    });
  } catch (err) {
    parts.queue.release(count);
    // A refusal by admission was metered there; a failed commit is metered here (which also
    // gives back the reservation of all but one transfer).
    if (admitted)
      recordTransfers(caller, err instanceof GatewayError ? err.code : 'ERR_INTERNAL', 0, 0, count);
    throw err;
  }
  if (result.kind === 'conflict') {
    parts.queue.release(count);
    recordTransfers(caller, 'ERR_RELAYER_IDEMPOTENCY_CONFLICT', 0, 0, count);
    throw new GatewayError(
      'ERR_RELAYER_IDEMPOTENCY_CONFLICT',
      'this Idempotency-Key was used before with a different body; use a new key for a new request',
    );
  }
  const created = result.kind === 'created';
  if (created) {
    parts.queue.stored(count);
    parts.metrics.accepted(count);
  } else parts.queue.release(count);
  const answer = answerOf(parsed, route, result.requestId, result.ids, created);
  recordTransfers(caller, 'ok', created ? count : 0, JSON.stringify(answer.body).length, count);
  parts.metrics.acceptDuration((performance.now() - req.receivedAt) / 1000);
  return { answer, ids: result.ids };
}

function validate(
  parts: IntakeParts,
  route: IntakeRoute,
  req: HttpRequest,
  body: unknown,
): { parsed: ParsedTransfers; idempotencyKey: string; wait: WaitRequest | undefined } {
  const issues = new IssueList();
  const wait = parseWaitQuery(req.url, parts.waitConfig, issues);
  const header = req.headers['idempotency-key'];
  const headerKey =
    header === undefined
      ? undefined
      : collectCompiled(idempotencyKeyCheck, header, issues, RELAYER_INPUT, 'Idempotency-Key');
  let parsed: ParsedTransfers | undefined;
  try {
    if (route === 'v1') parsed = parseTransfersBody(body, parts.rules);
    else {
      if (parts.defaultToken === undefined)
        throw new GatewayError('ERR_ROUTE_NOT_FOUND', '/send-ft needs relayer.defaultToken in the config');
      parsed = parseSendFtBody(body, parts.rules, parts.defaultToken);
    }
  } catch (err) {
    if (!(err instanceof GatewayError && err.code === 'ERR_RELAYER_INVALID')) throw err;
    issues.addFrom(err);
  }
  const bodyKey = parsed?.idempotencyKey;
  if (headerKey !== undefined && bodyKey !== undefined && headerKey !== bodyKey)
    issues.push({
      path: 'idempotencyKey',
      message: 'differs from the Idempotency-Key header; send one of them',
    });
  const key = headerKey ?? bodyKey;
  const keyInBody = body !== null && typeof body === 'object' && 'idempotencyKey' in body;
  if (key === undefined && route === 'v1' && header === undefined && !keyInBody)
    issues.push({
      path: 'Idempotency-Key',
      message: 'required: send an Idempotency-Key header (or an idempotencyKey field)',
    });
  if (issues.length > 0 || parsed === undefined) throw invalidRelayerRequest(issues);
  // The NEAR service had no keys: without one, every call is a new job.
  return { parsed, idempotencyKey: key ?? `send-ft:${randomUUID()}`, wait };
}

function answerOf(
  parsed: ParsedTransfers,
  route: IntakeRoute,
  requestId: string,
  ids: readonly string[],
  created: boolean,
): IntakeAnswer {
  const headers: Record<string, string> = created ? {} : { 'idempotent-replayed': 'true' };
  const status = created ? 202 : 200;
  if (route === 'send-ft') {
    headers.location = `/transfer/${requestId}`;
    return { status, headers, body: { jobId: requestId, status: 'queued', transferIds: ids } };
  }
  if (parsed.form === 'single') {
    headers.location = `/v1/transfers/${ids[0]}`;
    return { status, headers, body: { id: ids[0], requestId, status: 'accepted' } };
  }
  return { status, headers, body: { ids, requestId, status: 'accepted' } };
}
