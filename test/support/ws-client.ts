/** A raw `ws` client for the gateway's WebSocket tests: handshake outcomes, messages, close codes. */
import WebSocket from 'ws';

export interface Refusal {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read error bodies by path.
  readonly body: any;
}

/** Opens a socket; rejects with a Refusal when the gateway answers the handshake with HTTP. */
export function openSocket(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        reject({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text === '' ? undefined : JSON.parse(text),
        });
      });
    });
    ws.once('error', reject);
  });
}

/** Sends `text` and resolves with the next message, as text. */
export function request(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data: WebSocket.RawData) => resolve(data.toString()));
    ws.once('close', (code) => reject(new Error(`closed with ${code}`)));
    ws.send(text);
  });
}

/** Resolves with the close code and reason once the socket is closed. */
export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve({ code: -1, reason: 'already closed' });
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
