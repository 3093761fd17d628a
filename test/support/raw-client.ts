/** A raw TCP client for HTTP/1.1 tests that need exact bytes, timing of writes and the connection's fate. */
import net from 'node:net';

export interface ParsedResponse {
  status: number;
  /** Lowercase names; the last value wins. */
  headers: Record<string, string>;
  body: string;
}

const open = new Set<net.Socket>();

export class RawClient {
  readonly socket: net.Socket;
  /** Everything the server sent so far, decoded as latin1. */
  text = '';
  /** Resolves once the connection is fully closed. */
  readonly closed: Promise<void>;

  constructor(port: number, options: { allowHalfOpen?: boolean } = {}) {
    this.socket = net.connect({ port, host: '127.0.0.1', ...options });
    open.add(this.socket);
    this.socket.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('latin1');
    });
    // A reset after the server answered still leaves its answer in `text`.
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.once('close', () => open.delete(this.socket));
  }

  write(data: string): void {
    this.socket.write(data, 'latin1');
  }

  /** Resolves with everything received once `done(text)` holds or the connection closes. */
  until(done: (text: string) => boolean): Promise<string> {
    const events = ['data', 'end', 'close'] as const;
    return new Promise((resolve) => {
      const check = () => {
        if (!done(this.text) && !this.socket.destroyed) return;
        for (const event of events) this.socket.off(event, check);
        resolve(this.text);
      };
      for (const event of events) this.socket.on(event, check);
      check();
    });
  }

  /** Resolves with the complete responses once `count` have arrived or the connection closes. */
  async responses(count: number): Promise<ParsedResponse[]> {
    return parseResponses(await this.until((text) => parseResponses(text).length >= count));
  }
}

/** Destroys every RawClient socket still open (for afterEach). */
export function destroyRawClients(): void {
  for (const socket of open) socket.destroy();
  open.clear();
}

/** Splits raw response bytes into complete responses, framed by content-length (no chunked responses). */
export function parseResponses(raw: string): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const end = raw.indexOf('\r\n\r\n', pos);
    if (end === -1) break;
    const [statusLine = '', ...lines] = raw.slice(pos, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (raw.length < end + 4 + length) break;
    out.push({
      status: Number(statusLine.split(' ')[1]),
      headers,
      body: raw.slice(end + 4, end + 4 + length),
    });
    pos = end + 4 + length;
  }
  return out;
}
