/**
 * Mounts the gateway's handler on a node:http server (`gateway.handler`, for embedding):
 * reads the body with the same limit, then hands over a complete request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayError, toGatewayError } from '../../errors/gateway-error.js';
import { errorResponse } from '../../rpc/serialize.js';
import {
  type ExchangeHandler,
  plainBody,
  type RequestHeaders,
  type ResponseBody,
  type ResponseHeaders,
  type ResponseStream,
  type ResponseWriter,
} from '../exchange.js';
import { refuseUpgrade, type UpgradeHandler, wantsWebSocket } from '../upgrade.js';
import { BodyBuffer, UNBOUNDED } from './body-buffer.js';
import { ClosingStream } from './closing-stream.js';
import { bodyTooLarge } from './errors.js';

export function nodeHttpHandler(
  handler: ExchangeHandler,
  maxBodyBytes: number,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const receivedAt = performance.now();
    const writer = new NodeWriter(res);
    readBody(req, maxBodyBytes).then(
      (body) =>
        handler(
          {
            method: req.method ?? 'GET',
            url: req.url ?? '/',
            // node:http gives arrays only for set-cookie, which requests do not carry.
            headers: req.headers as RequestHeaders,
            body,
            remoteAddress: req.socket.remoteAddress,
            receivedAt,
            completeAt: performance.now(),
          },
          writer,
        ),
      (err: unknown) => {
        const error = toGatewayError(err);
        writer.end(
          error.httpStatus,
          { 'content-type': 'application/json', connection: 'close' },
          errorResponse(null, error),
        );
      },
    );
  };
}

/**
 * For `server.on('upgrade', gateway.upgrade)`: hands a node:http upgrade to the module that
 * takes WebSocket handshakes; anything else (no such module, another protocol) is refused.
 */
export function nodeUpgradeHandler(
  handler: UpgradeHandler | undefined,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    const headers = req.headers as RequestHeaders;
    const method = req.method ?? 'GET';
    if (handler === undefined || !wantsWebSocket(method, headers.upgrade)) {
      socket.on('error', () => socket.destroy());
      const error = new GatewayError('ERR_ROUTE_NOT_FOUND', 'this gateway takes no such upgrade');
      refuseUpgrade(socket, error.httpStatus, errorResponse(null, error));
      return;
    }
    const now = performance.now();
    socket.pause();
    handler(
      {
        method,
        url: req.url ?? '/',
        headers,
        body: EMPTY_BODY,
        remoteAddress: req.socket.remoteAddress,
        receivedAt: now,
        completeAt: now,
      },
      socket,
      head,
    );
  };
}

const EMPTY_BODY = Buffer.alloc(0);

/** Writes a whole response through node:http's ServerResponse. */
class NodeWriter implements ResponseWriter {
  constructor(private readonly res: ServerResponse) {}

  end(status: number, headers: ResponseHeaders, response?: ResponseBody): void {
    const res = this.res;
    const body = response === undefined ? undefined : plainBody(response);
    if (res.headersSent || res.destroyed) return;
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined) res.setHeader(name, value);
    }
    res.statusCode = status;
    if (body === undefined || status === 204 || status === 304) {
      res.end();
      return;
    }
    res.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
    res.end(body);
  }

  stream(status: number, headers: ResponseHeaders): ResponseStream | undefined {
    const res = this.res;
    if (res.headersSent || res.destroyed) return undefined;
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined && name !== 'content-length') res.setHeader(name, value);
    }
    res.writeHead(status);
    res.flushHeaders();
    return new NodeStream(res);
  }

  /** 'close' before the response was sent: the connection went away. */
  onClientGone(listener: () => void): () => void {
    const res = this.res;
    let done = false;
    const remove = () => {
      done = true;
      res.off('close', fire);
    };
    const fire = () => {
      if (done || res.headersSent) return;
      remove();
      listener();
    };
    if (res.destroyed) queueMicrotask(fire);
    else res.once('close', fire);
    return remove;
  }
}

/**
 * The body in one buffer: the first piece as it came, further pieces copied behind it into one
 * growing buffer (node:http gives a Buffer per chunk of a chunked body; a million one-byte
 * chunks kept as a list cost ~150 MB).
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(bodyTooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    let first: Buffer | undefined;
    let copied: BodyBuffer | undefined;
    let size = 0;
    let failed = false;
    const fail = (error: GatewayError) => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) fail(bodyTooLarge(maxBytes));
      else if (first === undefined && copied === undefined) first = chunk;
      else {
        if (copied === undefined) {
          copied = new BodyBuffer(UNBOUNDED, maxBytes);
          copied.append(first!, 0, first!.length);
          first = undefined;
        }
        copied.append(chunk, 0, chunk.length);
      }
    });
    req.on('end', () => {
      if (!failed) resolve(copied?.body() ?? first ?? Buffer.alloc(0));
    });
    req.on('error', (err) =>
      fail(new GatewayError('ERR_REQUEST_TIMEOUT', 'request body was not received', { cause: err })),
    );
  });
}

/** ResponseStream over node:http's ServerResponse (chunked, or close-delimited for HTTP/1.0). */
class NodeStream extends ClosingStream implements ResponseStream {
  constructor(private readonly res: ServerResponse) {
    super();
    res.once('close', () => this.closeNow());
  }

  get pendingBytes(): number {
    return this.res.writableLength;
  }

  write(text: string): void {
    if (!this.closed) this.res.write(text);
  }

  end(): void {
    if (this.closed) return;
    this.res.end();
    this.closeNow();
  }
}
