/** Writes responses: common headers, optional gzip for large bodies, JSON-RPC error bodies. */
import zlib from 'node:zlib';
import type { ServerConfig } from '../config/schema.js';
import type { GatewayError } from '../errors/gateway-error.js';
import { errorResponse } from '../rpc/serialize.js';
import type { RpcId } from '../rpc/types.js';
import { chooseEncoding } from './accept-encoding.js';
import {
  type HttpRequest,
  plainBody,
  type ResponseBody,
  type ResponseHeaders,
  type ResponseWriter,
} from './exchange.js';

export interface ResponseContext {
  readonly config: ServerConfig;
  /** Set when the worker drains: every response asks the client to reconnect elsewhere. */
  readonly draining: () => boolean;
}

export function send(
  ctx: ResponseContext,
  req: HttpRequest,
  res: ResponseWriter,
  status: number,
  body: ResponseBody,
  headers: ResponseHeaders = {},
): void {
  headers['content-type'] ??= 'application/json';
  if (ctx.draining()) headers.connection = 'close';
  const compression = ctx.config.compression;
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (compression.enabled && length >= compression.minBytes) {
    // The answer depends on Accept-Encoding whether or not this client gets it compressed.
    headers.vary = headers.vary === undefined ? 'Accept-Encoding' : `${headers.vary}, Accept-Encoding`;
    const encoding = chooseEncoding(req.headers['accept-encoding']);
    if (encoding !== undefined) {
      const compress = encoding === 'gzip' ? zlib.gzip : zlib.deflate;
      const plain = plainBody(body);
      compress(plain, { level: 4 }, (err, compressed) => {
        if (err !== null) {
          res.end(status, headers, plain);
          return;
        }
        headers['content-encoding'] = encoding;
        res.end(status, headers, compressed);
      });
      return;
    }
  }
  res.end(status, headers, body);
}

export function sendError(
  ctx: ResponseContext,
  req: HttpRequest,
  res: ResponseWriter,
  error: GatewayError,
  id: RpcId = null,
  headers: ResponseHeaders = {},
): void {
  send(ctx, req, res, error.httpStatus, errorResponse(id, error), headers);
}

export function sendNoContent(
  ctx: ResponseContext,
  res: ResponseWriter,
  headers: ResponseHeaders = {},
): void {
  if (ctx.draining()) headers.connection = 'close';
  res.end(204, headers);
}
