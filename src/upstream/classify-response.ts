/**
 * Decides what an upstream's answer means without paying for a full parse of large results:
 * small bodies are parsed; large ones get a structural check, and a full parse only when the
 * head of the body says it carries an error.
 */
import { GatewayError } from '../errors/gateway-error.js';
import { OPEN_BRACE } from '../rpc/json-bytes.js';
import { containerEnd, skipSpace } from '../rpc/json-scan.js';
import { LOGS_TOO_LARGE } from './logs-refusal.js';

export type UpstreamOutcome =
  | { readonly kind: 'result'; readonly result: unknown; readonly parsed: boolean }
  /** A JSON-RPC error about the request itself: passed to the client unchanged. */
  | { readonly kind: 'rpc-error'; readonly code: number; readonly message: string }
  /** The node, not the request, failed: retry elsewhere. */
  | { readonly kind: 'failure'; readonly error: GatewayError };

const FULL_PARSE_LIMIT = 64 * 1024;
const HEAD_SCAN = 512;

const RATE_LIMIT_PATTERN = /rate.?limit|limit exceeded|too many requests|throttl/i;
/**
 * `exceeded … capacity` / `exceeded … quota`, in two linear scans: `exceeded .*(capacity|quota)`
 * rescanned the rest of the message from every `exceeded ` (quadratic in an upstream's text).
 */
const EXCEEDED = /exceeded /i;
const CAPACITY_OR_QUOTA = /capacity|quota/i;
/**
 * NEAR errors carry their kind in `cause.name` (the message is a generic "Server error"). These
 * are the node's failures, not the request's: a timeout waiting for a transaction (the same
 * signed bytes are resent elsewhere), a node not synced, or missing a block or chunk it should
 * have (lagging, or not archival).
 */
const NEAR_NODE_FAILURES = new Set([
  'TIMEOUT_ERROR',
  'INTERNAL_ERROR',
  'NO_SYNCED_BLOCKS',
  'NOT_SYNCED_YET',
  'UNAVAILABLE_SHARD',
  'UNKNOWN_BLOCK',
  'UNKNOWN_CHUNK',
  'GARBAGE_COLLECTED_BLOCK',
]);
const NODE_FAILURE_PATTERN =
  /header not found|missing trie node|unknown block|request timed out|service unavailable|internal server error|upstream|backend|no healthy|syncing|not synced/i;

export function classifyResponse(status: number, body: Buffer, upstreamId: string): UpstreamOutcome {
  if (status === 429) {
    return failure('ERR_UPSTREAM_RATE_LIMITED', `upstream ${upstreamId} answered HTTP 429`);
  }
  if (status < 200 || status >= 300) {
    // Some nodes answer JSON-RPC errors with 4xx/5xx; a 5xx is always the node's fault.
    if (status >= 500 || body.length === 0) {
      return failure('ERR_UPSTREAM_HTTP_STATUS', `upstream ${upstreamId} answered HTTP ${status}`);
    }
  }
  if (body.length > FULL_PARSE_LIMIT && !headMentionsError(body)) {
    return structurallyComplete(body)
      ? { kind: 'result', result: undefined, parsed: false }
      : failure('ERR_UPSTREAM_BAD_RESPONSE', `upstream ${upstreamId} sent a malformed response`);
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return failure('ERR_UPSTREAM_BAD_RESPONSE', `upstream ${upstreamId} sent a response that is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return failure('ERR_UPSTREAM_BAD_RESPONSE', `upstream ${upstreamId} sent a non-object response`);
  }
  const response = value as Record<string, unknown>;
  if ('result' in response) {
    if (status >= 300)
      return failure('ERR_UPSTREAM_HTTP_STATUS', `upstream ${upstreamId} answered HTTP ${status}`);
    return { kind: 'result', result: response.result, parsed: true };
  }
  const error = response.error as { code?: unknown; message?: unknown } | undefined;
  if (error === undefined || error === null || typeof error !== 'object') {
    return failure('ERR_UPSTREAM_BAD_RESPONSE', `upstream ${upstreamId} sent neither result nor error`);
  }
  const code = typeof error.code === 'number' ? error.code : 0;
  const message = typeof error.message === 'string' ? error.message : '';
  // Too large a log query is the request's fault, whatever the code: passed on (then split).
  if (LOGS_TOO_LARGE.test(message)) return { kind: 'rpc-error', code, message };
  if (code === -32005 || mentionsRateLimit(message)) {
    return failure('ERR_UPSTREAM_RATE_LIMITED', `upstream ${upstreamId} is rate limiting: ${message}`);
  }
  if (NODE_FAILURE_PATTERN.test(message)) {
    return failure('ERR_UPSTREAM_NODE_ERROR', `upstream ${upstreamId} failed: ${message}`);
  }
  const nearCause = (error as { cause?: { name?: unknown } }).cause?.name;
  if (typeof nearCause === 'string' && NEAR_NODE_FAILURES.has(nearCause)) {
    return failure('ERR_UPSTREAM_NODE_ERROR', `upstream ${upstreamId} failed: ${nearCause}`);
  }
  return { kind: 'rpc-error', code, message };
}

function failure(code: ConstructorParameters<typeof GatewayError>[0], message: string): UpstreamOutcome {
  return { kind: 'failure', error: new GatewayError(code, message) };
}

function headMentionsError(body: Buffer): boolean {
  return body.subarray(0, HEAD_SCAN).includes('"error"');
}

/** `{ … }` with balanced braces outside strings: catches truncation and garbage cheaply. */
/**
 * One JSON object and nothing else around it: strings end, every bracket closes the kind it
 * opened (rpc/json-scan.ts, strings searched natively: these bodies are large).
 */
function structurallyComplete(body: Buffer): boolean {
  const start = skipSpace(body, 0);
  if (body[start] !== OPEN_BRACE) return false;
  const end = containerEnd(body, start, true);
  return end !== -1 && skipSpace(body, end) === body.length;
}

function mentionsRateLimit(message: string): boolean {
  if (RATE_LIMIT_PATTERN.test(message)) return true;
  const exceeded = EXCEEDED.exec(message);
  return exceeded !== null && CAPACITY_OR_QUOTA.test(message.slice(exceeded.index + exceeded[0].length));
}
