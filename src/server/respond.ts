/** Writes responses: common headers, optional gzip for large bodies, JSON-RPC error bodies. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import type { ServerConfig } from '../config/schema.js';
import type { GatewayError } from '../errors/gateway-error.js';
import { errorResponse } from '../rpc/serialize.js';
import type { RpcId } from '../rpc/types.js';

export interface ResponseContext {
  readonly config: ServerConfig;
  /** Set when the worker drains: every response asks the client to reconnect elsewhere. */
  readonly draining: () => boolean;
}

export function send(
  ctx: ResponseContext,
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: Buffer | string,
  headers: OutgoingHttpHeaders = {},
): void {
  headers['content-type'] ??= 'application/json';
  if (ctx.draining()) headers.connection = 'close';
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const compression = ctx.config.compression;
  if (compression.enabled && length >= compression.minBytes && acceptsGzip(req)) {
    headers.vary = 'Accept-Encoding';
    zlib.gzip(body, { level: 4 }, (err, compressed) => {
      if (err !== null) {
        writeRaw(res, status, body, length, headers);
        return;
      }
      headers['content-encoding'] = 'gzip';
      writeRaw(res, status, compressed, compressed.length, headers);
    });
    return;
  }
  writeRaw(res, status, body, length, headers);
}

function writeRaw(
  res: ServerResponse,
  status: number,
  body: Buffer | string,
  length: number,
  headers: OutgoingHttpHeaders,
): void {
  if (res.destroyed) return;
  headers['content-length'] = length;
  res.writeHead(status, headers);
  res.end(body);
}

function acceptsGzip(req: IncomingMessage): boolean {
  const accept = req.headers['accept-encoding'];
  return accept !== undefined && /\bgzip\b/.test(accept);
}

export function sendError(
  ctx: ResponseContext,
  req: IncomingMessage,
  res: ServerResponse,
  error: GatewayError,
  id: RpcId = null,
  headers: OutgoingHttpHeaders = {},
): void {
  send(ctx, req, res, error.httpStatus, errorResponse(id, error), headers);
}

export function sendNoContent(
  ctx: ResponseContext,
  res: ServerResponse,
  headers: OutgoingHttpHeaders = {},
): void {
  if (ctx.draining()) headers.connection = 'close';
  res.writeHead(204, headers);
  res.end();
}
