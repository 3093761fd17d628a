/**
 * Tells a "not yet" answer from a final one: `null` for a block, receipt or transaction, an
 * empty (or cut) log range that ends above the answering upstream's head, or a "header not
 * found" / "unknown block" error. For each it gives the head an upstream needs to answer it for
 * real; an answer from an upstream already at that head is final (docs/consistency.md).
 */
import { parseBlockRef } from '../cache/block-ref.js';
import { METHOD_SPECS } from '../cache/policy-methods.js';
import type { ForwardResult } from '../upstream/forward-result.js';

/** No retry: the answer is final, or nothing tells which head would do better. */
export const FINAL = -1;

/** Error messages of nodes that do not have the block (yet): geth, erigon, nethermind, besu, reth. */
const NOT_YET_ERROR =
  /header not found|unknown block|block not found|could not find block|block .{0,80} not found|after last accepted block|requested block is in the future|block .{0,20}is not available/i;

type Answer = Extract<ForwardResult, { ok: true }>;

/**
 * The head an upstream must have to answer `params` for real, given the answer of an upstream at
 * `answeringHead` (-1 = unknown); FINAL when the answer stands.
 */
export type NotYetCheck = (params: unknown, answer: Answer, answeringHead: number) => number;

/** Above the answering upstream's head: any upstream strictly ahead of it may have it. */
const ahead = (answeringHead: number) => Math.max(answeringHead + 1, 0);

function byNumber(index: number, nullMeansNotYet: boolean): NotYetCheck {
  return (params, answer, answeringHead) => {
    if (!Array.isArray(params)) return FINAL;
    if (nullMeansNotYet ? !isNull(answer) && !isNotYetError(answer) : !isNotYetError(answer)) return FINAL;
    const ref = parseBlockRef(params[index]);
    if (ref === undefined || ref.kind === 'tag') return FINAL;
    if (ref.kind === 'hash') return ahead(answeringHead);
    return ref.number > answeringHead ? ref.number : FINAL;
  };
}

const byHash: NotYetCheck = (_params, answer, answeringHead) =>
  isNull(answer) || isNotYetError(answer) ? ahead(answeringHead) : FINAL;

/** Empty, or possibly cut short: the node answered a range that ends above its head. */
const logs: NotYetCheck = (params, answer, answeringHead) => {
  const filter = Array.isArray(params) ? (params[0] as Record<string, unknown> | undefined) : undefined;
  if (filter === null || typeof filter !== 'object') return FINAL;
  if (filter.blockHash !== undefined)
    return isEmptyList(answer) || isNotYetError(answer) ? ahead(answeringHead) : FINAL;
  const to = parseBlockRef(filter.toBlock);
  if (to === undefined || to.kind !== 'number' || to.number <= answeringHead) return FINAL;
  return answer.rpcError && !isNotYetError(answer) ? FINAL : to.number;
};

/** Method → its check; built once from the method table's block parameters. */
export const NOT_YET_CHECKS: ReadonlyMap<string, NotYetCheck> = buildChecks();

function buildChecks(): Map<string, NotYetCheck> {
  const checks = new Map<string, NotYetCheck>();
  for (const [method, spec] of METHOD_SPECS) {
    if (spec.kind === 'ref') {
      // Block-shaped answers are null above the head; state reads fail with an error instead.
      const blockShaped = spec.mustExist === true || spec.shape !== undefined;
      checks.set(method, byNumber(spec.index ?? 0, blockShaped));
    } else if (spec.kind === 'block-hash' || spec.kind === 'tx') checks.set(method, byHash);
    else if (spec.kind === 'logs') checks.set(method, logs);
  }
  return checks;
}

function isNull(answer: Answer): boolean {
  if (answer.rpcError) return false;
  if (answer.parsed === true) return answer.result === null;
  return bodyResultIs(answer.body, 'null');
}

function isEmptyList(answer: Answer): boolean {
  if (answer.rpcError) return false;
  if (answer.parsed === true) return Array.isArray(answer.result) && answer.result.length === 0;
  return bodyResultIs(answer.body, '[]');
}

function isNotYetError(answer: Answer): boolean {
  if (!answer.rpcError) return false;
  const body = answer.body;
  // Error answers are small; a large body is not one of these.
  if (body.length > 4096) return false;
  return NOT_YET_ERROR.test(typeof body === 'string' ? body : body.toString('utf8'));
}

/** Unparsed bodies (large answers) are never `null` or `[]`; small ones are checked by text. */
function bodyResultIs(body: Buffer | string, value: string): boolean {
  if (body.length > 256) return false;
  const text = typeof body === 'string' ? body : body.toString('utf8');
  return text.replace(/\s/g, '').includes(`"result":${value}`);
}
