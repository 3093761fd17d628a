/**
 * What a route sees of one HTTP exchange, whichever server carried it: Turnpike's own HTTP/1.1
 * server (`http1/server.ts`) or a node:http server the gateway is mounted on (`node-adapter.ts`).
 * The request arrives complete — body read and bounded — so routes never deal with streams.
 */

/** Request headers with lowercase names; repeated fields are joined with ", ". */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

/** Response headers with lowercase names; `undefined` values are skipped. */
export type ResponseHeaders = Record<string, string | number | undefined>;

export interface HttpRequest {
  readonly method: string;
  /** The request target as sent (`/eth?x=1`). */
  readonly url: string;
  readonly headers: RequestHeaders;
  /** The whole body, without transfer coding (still content-encoded, e.g. gzip). */
  readonly body: Buffer;
  readonly remoteAddress: string | undefined;
  /** `performance.now()` when the first byte of this request arrived. */
  readonly receivedAt: number;
  /** `performance.now()` when the last byte of the body arrived. */
  readonly completeAt: number;
}

/**
 * A body that writes itself behind the head into the response's one buffer: a cache hit (the
 * JSON-RPC envelope around the stored result bytes) is then allocated and copied once.
 */
export interface BodyWriter {
  readonly byteLength: number;
  /** Writes the body at `offset` of `target`, which has room for `byteLength` bytes there. */
  writeInto(target: Buffer, offset: number): void;
}

export type ResponseBody = Buffer | string | BodyWriter;

/** A body as bytes or text (for compression, node:http, batches). */
export function plainBody(body: ResponseBody): Buffer | string {
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  const bytes = Buffer.allocUnsafe(body.byteLength);
  body.writeInto(bytes, 0);
  return bytes;
}

export interface ResponseWriter {
  /**
   * Sends the whole response. Only the first call counts. A `connection: close` header closes
   * the connection after the response; `content-length` is added from the body.
   */
  end(status: number, headers: ResponseHeaders, body?: ResponseBody): void;
  /**
   * Calls `listener` once if the client goes away before the response is sent (it closed the
   * connection or ended its side); returns a function that removes it. For routes that hold a
   * request open (the relayer's `?wait=`). A writer without it cannot tell.
   */
  onClientGone?(listener: () => void): () => void;
  /**
   * Answers with a body that has no end (server-sent events): writes the head and returns the
   * stream to write to; the connection closes when the stream ends. Instead of `end`, not after
   * it. Undefined from a writer that cannot stream.
   */
  stream?(status: number, headers: ResponseHeaders): ResponseStream | undefined;
}

/** A response written piece by piece (http/http1/socket-stream.ts, node-adapter.ts). */
export interface ResponseStream {
  /** Queues text for the client; nothing happens after the stream closed. */
  write(text: string): void;
  /** Bytes written but not yet taken by the kernel: a client that does not read shows here. */
  readonly pendingBytes: number;
  readonly closed: boolean;
  /** Ends the response (and the connection). */
  end(): void;
  /** Called once when the stream closes, from either side. */
  onClose(listener: () => void): void;
}

/** Handles one complete request; it must call `writer.end` exactly once, even on failure. */
export type ExchangeHandler = (request: HttpRequest, writer: ResponseWriter) => void;
