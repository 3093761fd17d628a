/**
 * Protocol upgrades (RFC 9110 §7.8) handed to a feature module: the WebSocket handshake is a
 * GET with `Upgrade: websocket`. Both servers — Turnpike's HTTP/1.1 server and a node:http
 * server the gateway is embedded in (`gateway.upgrade`) — hand the request, the socket and the
 * bytes already read past the head to one UpgradeHandler. The socket arrives paused with no
 * listeners of ours: the handler attaches its own, then resumes it.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpRequest, ResponseHeaders } from './exchange.js';

/** Takes over `socket`: upgrades it, or answers with `refuseUpgrade` and ends it. */
export type UpgradeHandler = (request: HttpRequest, socket: Duplex, head: Buffer) => void;

/** Whether a parsed request asks for a WebSocket (other upgrades, e.g. h2c, are ignored). */
export function wantsWebSocket(method: string, upgrade: string | undefined): boolean {
  return method === 'GET' && upgrade !== undefined && upgrade.toLowerCase() === 'websocket';
}

/** Answers the handshake with a plain HTTP response (401, 429, 503…) and ends the socket. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  body: string,
  headers: ResponseHeaders = {},
): void {
  if (socket.destroyed) return;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\ncontent-type: application/json\r\n`;
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) head += `${name}: ${value}\r\n`;
  }
  head += `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  socket.end(head + body);
  // Read (and drop) what the client still sends, so its close is seen; one that never closes
  // must not hold the socket.
  socket.resume();
  setTimeout(() => socket.destroy(), REFUSE_LINGER_MS).unref();
}

const REFUSE_LINGER_MS = 2_000;
