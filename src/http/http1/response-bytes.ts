/** Serializes a response into as few socket writes as possible (one for bodies up to 16 KiB). */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { BodyWriter, ResponseBody, ResponseHeaders } from '../exchange.js';

/** Above this a body is written on its own (writev) instead of being copied behind the head. */
const COPY_LIMIT = 16 * 1024;

/** Statuses that never carry a body or a Content-Length (RFC 9110 §8.6). */
function bodyless(status: number): boolean {
  return status === 204 || status === 304 || status < 200;
}

export interface HeadOptions {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly bodyLength: number;
  readonly keepAlive: boolean;
  readonly minorVersion: number;
  readonly date: string;
}

export function serializeHead(options: HeadOptions): string {
  const { status, headers } = options;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\ndate: ${options.date}\r\n`;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name === 'connection' || name === 'content-length') continue;
    head += `${name}: ${value}\r\n`;
  }
  if (!bodyless(status)) head += `content-length: ${options.bodyLength}\r\n`;
  if (!options.keepAlive) head += 'connection: close\r\n';
  else if (options.minorVersion === 0) head += 'connection: keep-alive\r\n';
  return `${head}\r\n`;
}

/** Writes head and body; returns false when the socket's buffer is full (pause reading). */
export function writeResponse(socket: Socket, head: string, body: Buffer | BodyWriter | undefined): boolean {
  if (body === undefined || body.byteLength === 0) return socket.write(head, 'latin1');
  const headLength = head.length;
  if (!(body instanceof Uint8Array)) {
    // One allocation, one copy of the body, one write.
    const bytes = Buffer.allocUnsafe(headLength + body.byteLength);
    bytes.write(head, 0, headLength, 'latin1');
    body.writeInto(bytes, headLength);
    return socket.write(bytes);
  }
  if (body.length <= COPY_LIMIT) {
    const bytes = Buffer.allocUnsafe(headLength + body.length);
    bytes.write(head, 0, headLength, 'latin1');
    body.copy(bytes, headLength);
    return socket.write(bytes);
  }
  socket.cork();
  socket.write(head, 'latin1');
  const flushed = socket.write(body);
  socket.uncork();
  return flushed;
}

export function responseBody(
  status: number,
  body: ResponseBody | undefined,
): Buffer | BodyWriter | undefined {
  if (body === undefined || bodyless(status)) return undefined;
  return typeof body === 'string' ? Buffer.from(body) : body;
}
