/**
 * A streamed response on a socket the HTTP/1.1 connection let go of (server-sent events): the
 * head without a length, then whatever is written, until either side ends. The body is
 * delimited by the connection's close (RFC 9112 §6.3), so nothing follows it on the socket.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ResponseHeaders, ResponseStream } from '../exchange.js';
import { ClosingStream } from './closing-stream.js';

export class SocketStream extends ClosingStream implements ResponseStream {
  constructor(
    private readonly socket: Socket,
    status: number,
    headers: ResponseHeaders,
    date: string,
  ) {
    super();
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\ndate: ${date}\r\n`;
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || name === 'connection' || name === 'content-length') continue;
      head += `${name}: ${value}\r\n`;
    }
    head += 'connection: close\r\n\r\n';
    socket.write(head, 'latin1');
    // The client has nothing more to say; what it still sends is read and dropped, so its
    // close is seen.
    socket.on('data', () => undefined);
    socket.on('end', () => this.end());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.closeNow());
    socket.resume();
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  write(text: string): void {
    if (!this.closed) this.socket.write(text);
  }

  end(): void {
    if (this.closed) return;
    this.socket.end();
    // A client that never reads would hold the socket open: it goes after a grace period.
    setTimeout(() => this.socket.destroy(), 2_000).unref();
    this.closeNow();
  }
}
