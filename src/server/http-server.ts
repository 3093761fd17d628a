/** node:http server with every limit set: headers, body time, keep-alive, connection count. */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { errorResponse } from '../rpc/serialize.js';

export function createHttpServer(
  config: ServerConfig,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): http.Server {
  const server = http.createServer(
    {
      maxHeaderSize: config.maxHeaderBytes,
      headersTimeout: Math.min(config.headersTimeoutMs, config.requestTimeoutMs),
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      connectionsCheckingInterval: 1_000,
      noDelay: true,
    },
    handler,
  );
  server.maxConnections = config.maxConnections;
  // Malformed HTTP, oversized headers and timeouts end here: answer if we still can, never throw.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const error = clientErrorOf(err);
    const status = error.httpStatus;
    const body = errorResponse(null, error);
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

/** The same error model as every other response, for failures node:http detects itself. */
function clientErrorOf(err: NodeJS.ErrnoException): GatewayError {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return new GatewayError('ERR_HEADERS_TOO_LARGE', 'request headers are too large');
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new GatewayError('ERR_REQUEST_TIMEOUT', 'the request was not received in time');
  }
  return new GatewayError('ERR_MALFORMED_HTTP', 'malformed HTTP request');
}
