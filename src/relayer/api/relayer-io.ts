/**
 * Reading a relayer API request and writing its answer. The API is REST like the admin API:
 * errors are `{ "error": { code, message, issues?, transfers? } }` with the code's HTTP status (and
 * `Retry-After` when the code says when to come back), never JSON-RPC error objects.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import { issuesOf } from '../../errors/issues.js';
import { decodeBody } from '../../http/decode-body.js';
import type { HttpRequest, ResponseHeaders, ResponseWriter } from '../../http/exchange.js';
import { isBlank, parseJsonBody } from '../../http/json-body.js';
import { type ResponseContext, send } from '../../http/respond.js';
import { invalidRelayerRequest } from './transfer-body.js';

const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json\b/i;

/** The parsed JSON body (bounded by `server.maxBodyBytes`, decoded size included). */
export async function readJson(req: HttpRequest, maxBytes: number): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type !== undefined && type !== '' && type !== 'application/json' && !JSON_TYPE.test(type))
    throw new GatewayError(
      'ERR_UNSUPPORTED_MEDIA_TYPE',
      `unsupported Content-Type: ${type}; send application/json`,
    );
  const body = await decodeBody(req.body, req.headers['content-encoding'], maxBytes);
  if (isBlank(body))
    throw invalidRelayerRequest([{ path: '(root)', message: 'the body is empty; send a JSON object' }]);
  return parseJsonBody(body, invalidRelayerRequest);
}

export function sendJson(
  ctx: ResponseContext,
  req: HttpRequest,
  res: ResponseWriter,
  status: number,
  body: unknown,
  headers: ResponseHeaders,
): void {
  send(ctx, req, res, status, JSON.stringify(body), headers);
}

export function sendRelayerError(
  ctx: ResponseContext,
  req: HttpRequest,
  res: ResponseWriter,
  error: GatewayError,
  headers: ResponseHeaders,
): void {
  const data =
    error.data !== null && typeof error.data === 'object' ? (error.data as Record<string, unknown>) : {};
  if (typeof data.retryAfterSeconds === 'number') headers['retry-after'] = data.retryAfterSeconds;
  if (error.httpStatus === 401) headers['www-authenticate'] = 'Bearer realm="turnpike"';
  if (error.code === 'ERR_BODY_TOO_LARGE') headers.connection = 'close';
  // A failed `?wait=` carries the outcome of every transfer of the request.
  const transfers = Array.isArray(data.transfers) ? data.transfers : undefined;
  const body = {
    error: {
      code: error.code,
      message: error.message,
      ...issuesOf(data),
      ...(transfers !== undefined && { requestId: data.requestId, transfers }),
    },
  };
  send(ctx, req, res, error.httpStatus, JSON.stringify(body), headers);
}
