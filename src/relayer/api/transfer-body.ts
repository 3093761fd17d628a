/**
 * Parses a `POST /v1/transfers` or `POST /send-ft` body into normalized transfers, collecting
 * every problem at once as `{ path, message }` (paths like `transfers.3.amount`), so a client
 * fixes a whole batch in one round trip. Nothing here touches the store.
 */
import type { GatewayError } from '../../errors/gateway-error.js';
import { type Issue, IssueList, issuesError } from '../../errors/issues.js';
import type { TransferInput } from '../model.js';
import {
  type Checked,
  checkAddress,
  checkAmount,
  checkIdempotencyKey,
  checkMemo,
  checkToken,
  type TransferRules,
} from './transfer-fields.js';

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

/** The field names of one transfer in each dialect. */
interface Dialect {
  readonly form: RequestForm;
  readonly to: string;
  /** The token field, or undefined when every transfer uses `defaultToken`. */
  readonly token: string | undefined;
  readonly defaultToken?: string;
}

const V1: Dialect = { form: 'single', to: 'to', token: 'token' };

/** `{ token, to, amount, memo?, idempotencyKey? }` or `{ transfers: [ … ], idempotencyKey? }`. */
export function parseTransfersBody(body: unknown, rules: TransferRules): ParsedTransfers {
  return parseBody(body, rules, V1);
}

/** `{ receiverId, amount, memo? }` or `{ transfers: [ { receiverId, amount, memo? } ] }`, in `defaultToken`. */
export function parseSendFtBody(body: unknown, rules: TransferRules, defaultToken: string): ParsedTransfers {
  return parseBody(body, rules, { form: 'send-ft', to: 'receiverId', token: undefined, defaultToken });
}

function parseBody(body: unknown, rules: TransferRules, dialect: Dialect): ParsedTransfers {
  const issues = new IssueList();
  if (!isObject(body)) throw invalidRelayerRequest([{ path: '(root)', message: 'expected a JSON object' }]);
  const idempotencyKey =
    body.idempotencyKey === undefined
      ? undefined
      : take(checkIdempotencyKey(body.idempotencyKey), 'idempotencyKey', issues);
  let transfers: TransferInput[] = [];
  let form = dialect.form;
  if ('transfers' in body) {
    if (dialect.form === 'single') form = 'batch';
    unknownFields(body, ['transfers', 'idempotencyKey'], '', issues);
    transfers = parseList(body.transfers, rules, dialect, issues);
  } else {
    const transfer = parseOne(body, '', rules, dialect, issues, ['idempotencyKey']);
    if (transfer !== undefined) transfers = [transfer];
  }
  if (issues.length > 0) throw invalidRelayerRequest(issues);
  return { form, transfers, idempotencyKey };
}

function parseList(
  value: unknown,
  rules: TransferRules,
  dialect: Dialect,
  issues: IssueList,
): TransferInput[] {
  if (!Array.isArray(value)) {
    issues.push({ path: 'transfers', message: 'expected an array of transfers' });
    return [];
  }
  if (value.length === 0) {
    issues.push({ path: 'transfers', message: 'expected at least one transfer' });
    return [];
  }
  if (value.length > rules.maxTransfersPerRequest) {
    // Checking a too-large batch item by item would only make the answer larger.
    issues.push({
      path: 'transfers',
      message: `${value.length} transfers; at most ${rules.maxTransfersPerRequest} are allowed per request (relayer.maxTransfersPerRequest)`,
    });
    return [];
  }
  const transfers: TransferInput[] = [];
  value.forEach((item: unknown, index) => {
    const path = `transfers.${index}`;
    if (!isObject(item)) {
      issues.push({ path, message: 'expected an object' });
      return;
    }
    const transfer = parseOne(item, `${path}.`, rules, dialect, issues, []);
    if (transfer !== undefined) transfers.push(transfer);
  });
  return transfers;
}

function parseOne(
  item: Record<string, unknown>,
  prefix: string,
  rules: TransferRules,
  dialect: Dialect,
  issues: IssueList,
  extraFields: readonly string[],
): TransferInput | undefined {
  const before = issues.length;
  const fields = [dialect.to, 'amount', 'memo', ...extraFields];
  if (dialect.token !== undefined) fields.push(dialect.token);
  unknownFields(item, fields, prefix, issues);
  const token =
    dialect.token === undefined
      ? rules.tokens.get(dialect.defaultToken ?? '')
      : required(item, dialect.token, prefix, issues, (value) => checkToken(value, rules));
  const to = required(item, dialect.to, prefix, issues, checkAddress);
  const amount = required(item, 'amount', prefix, issues, checkAmount);
  const memo =
    item.memo === undefined ? undefined : take(checkMemo(item.memo, rules), `${prefix}memo`, issues);
  if (issues.length > before || token === undefined || to === undefined || amount === undefined)
    return undefined;
  return memo === undefined ? { token, to, amount } : { token, to, amount, memo };
}

function required<T>(
  item: Record<string, unknown>,
  field: string,
  prefix: string,
  issues: IssueList,
  check: (value: unknown) => Checked<T>,
): T | undefined {
  if (item[field] === undefined) {
    issues.push({ path: `${prefix}${field}`, message: 'required' });
    return undefined;
  }
  return take(check(item[field]), `${prefix}${field}`, issues);
}

function take<T>(checked: Checked<T>, path: string, issues: IssueList): T | undefined {
  if (checked.ok) return checked.value;
  issues.push({ path, message: checked.message });
  return undefined;
}

function unknownFields(
  item: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
  issues: IssueList,
): void {
  for (const key of Object.keys(item)) {
    if (known.includes(key)) continue;
    if (issues.full) issues.skip(1);
    else issues.push({ path: `${prefix}${key}`, message: 'unknown field' });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
