/**
 * Reading a REST request (JSON body, query string) for its schema (validation.ts), and writing
 * an admin answer. The admin API is REST, so errors are `{ "error": { code, message, issues? } }`
 * with the code's HTTP status, not JSON-RPC error objects.
 */
import type { GatewayError } from '../errors/gateway-error.js';
import { issuesOf } from '../errors/issues.js';
import { decodeBody } from './decode-body.js';
import type { HttpRequest, ResponseHeaders, ResponseWriter } from './exchange.js';
import { isBlank, parseJsonBody } from './json-body.js';
import { type ResponseContext, send } from './respond.js';
import { invalidRequest } from './validation.js';

/** The parsed body; undefined when there is none (or only whitespace). */
export async function readJsonBody(req: HttpRequest, maxBytes: number): Promise<unknown> {
  if (req.body.length === 0) return undefined;
  const body = await decodeBody(req.body, req.headers['content-encoding'], maxBytes);
  if (isBlank(body)) return undefined;
  return parseJsonBody(body, invalidRequest);
}

/** Query parameters; an empty value counts as absent and a repeated one keeps its last value. */
export function readQuery(url: string): Record<string, string> {
  const start = url.indexOf('?');
  const query: Record<string, string> = {};
  if (start === -1) return query;
  for (const [name, value] of new URLSearchParams(url.slice(start + 1)))
    if (value !== '') query[name] = value;
  return query;
}

/**
 * Query parameters exactly as sent (an empty value included): each name's first value, the
 * names in the order first given, and those given more than once; undefined without a query.
 */
export function readQueryParams(
  url: string,
): { params: Record<string, string>; names: string[]; repeated: Set<string> } | undefined {
  const start = url.indexOf('?');
  if (start === -1) return undefined;
  // No prototype: a `__proto__` parameter is a parameter like any other.
  const params: Record<string, string> = Object.create(null);
  const names: string[] = [];
  const repeated = new Set<string>();
  for (const [name, value] of new URLSearchParams(url.slice(start + 1))) {
    if (name in params) repeated.add(name);
    else {
      params[name] = value;
      names.push(name);
    }
  }
  return { params, names, repeated };
}

export function sendAdminError(
  ctx: ResponseContext,
  req: HttpRequest,
  res: ResponseWriter,
  error: GatewayError,
  headers: ResponseHeaders,
): void {
  const issues = issuesOf(error.data);
  const body = { error: { code: error.code, message: error.message, ...issues } };
  send(ctx, req, res, error.httpStatus, JSON.stringify(body), headers);
}
