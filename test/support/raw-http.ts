/** Raw HTTP for tests that need exact request bytes: undici for whole bodies, net.Socket for broken HTTP. */
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { request } from 'undici';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body exactly as sent (still compressed when the server compressed it). */
  bytes: Buffer;
  text: string;
  /** Parsed body; undefined when the body is not JSON. */
  body: unknown;
}

export interface RawInit {
  method?: string;
  headers?: Record<string, string>;
}

/** Sends `body` byte-for-byte (default: POST with `content-type: application/json`). */
export async function postRaw(
  url: string,
  body: string | Buffer | undefined,
  init: RawInit = {},
): Promise<RawResponse> {
  const res = await request(url, {
    method: (init.method ?? 'POST') as 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(body !== undefined && { body }),
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const text = bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, headers: res.headers, bytes, text, body: parsed };
}

/**
 * Opens a TCP connection, writes `chunks` in order and never ends it (so a partial request stalls),
 * and resolves with everything the server sent once the server closes the connection.
 */
export function rawExchange(port: number, chunks: readonly (string | Buffer)[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
    });
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    // A reset after the server answered still counts as an answer.
    socket.on('error', (err) => (received.length > 0 ? socket.destroy() : reject(err)));
    socket.on('close', () => resolve(Buffer.concat(received).toString('latin1')));
  });
}

/** The status code of the first response in raw HTTP text, or undefined when there is none. */
export function statusOf(raw: string): number | undefined {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(raw);
  return match === null ? undefined : Number(match[1]);
}
