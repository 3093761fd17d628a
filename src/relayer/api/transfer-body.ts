/**
 * Parses a `POST /v1/transfers` or `POST /send-ft` body into normalized transfers with the
 * schemas of transfer-schemas.ts, collecting every problem at once as `{ path, message }`
 * (paths like `transfers.3.amount`), so a client fixes a whole batch in one round trip.
 * Nothing here touches the store.
 */
import type { GatewayError } from '../../errors/gateway-error.js';
import { type Issue, type IssueList, issuesError } from '../../errors/issues.js';
import { parseCompiled } from '../../http/validation.js';
import type { TransferInput } from '../model.js';
import type { TransferRules } from './transfer-fields.js';
import { RELAYER_INPUT } from './transfer-schemas.js';

export type RelayerIssue = Issue;

/** How the body was written; part of the request hash, so a replay answers in the same shape. */
export type RequestForm = 'single' | 'batch' | 'send-ft';

export interface ParsedTransfers {
  readonly form: RequestForm;
  readonly transfers: readonly TransferInput[];
  /** The `idempotencyKey` body field, if given (the header is read by the route). */
  readonly idempotencyKey: string | undefined;
}

export function invalidRelayerRequest(issues: IssueList | readonly RelayerIssue[]): GatewayError {
  return issuesError('ERR_RELAYER_INVALID', issues);
}

/** `{ token, to, amount, memo?, idempotencyKey? }` or `{ transfers: [ … ], idempotencyKey? }`. */
export function parseTransfersBody(body: unknown, rules: TransferRules): ParsedTransfers {
  if (isBatch(body)) {
    const batch = parseCompiled(rules.bodies.batch, body, RELAYER_INPUT);
    return { form: 'batch', transfers: batch.transfers, idempotencyKey: batch.idempotencyKey };
  }
  const { token, to, amount, memo, idempotencyKey } = parseCompiled(rules.bodies.single, body, RELAYER_INPUT);
  const transfer = memo === undefined ? { token, to, amount } : { token, to, amount, memo };
  return { form: 'single', transfers: [transfer], idempotencyKey };
}

/** `{ receiverId, amount, memo? }` or `{ transfers: [ { receiverId, amount, memo? } ] }`, in `defaultToken`. */
export function parseSendFtBody(body: unknown, rules: TransferRules, defaultToken: string): ParsedTransfers {
  const token = rules.tokens.get(defaultToken);
  if (isBatch(body)) {
    const batch = parseCompiled(rules.bodies.sendFtBatch, body, RELAYER_INPUT);
    const transfers: TransferInput[] = [];
    if (token !== undefined)
      for (const { receiverId, amount, memo } of batch.transfers)
        transfers.push(
          memo === undefined ? { token, to: receiverId, amount } : { token, to: receiverId, amount, memo },
        );
    return { form: 'send-ft', transfers, idempotencyKey: batch.idempotencyKey };
  }
  const { receiverId, amount, memo, idempotencyKey } = parseCompiled(
    rules.bodies.sendFtSingle,
    body,
    RELAYER_INPUT,
  );
  const transfers: TransferInput[] = [];
  if (token !== undefined)
    transfers.push(
      memo === undefined ? { token, to: receiverId, amount } : { token, to: receiverId, amount, memo },
    );
  return { form: 'send-ft', transfers, idempotencyKey };
}

/** A body with `transfers` is a batch (and is refused as one); anything else, a single transfer. */
function isBatch(body: unknown): boolean {
  return body !== null && typeof body === 'object' && !Array.isArray(body) && 'transfers' in body;
}
