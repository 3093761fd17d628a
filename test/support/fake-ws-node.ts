/**
 * A WebSocket "node" on loopback that answers `eth_subscribe` as told and lets a test push
 * notifications, refuse the subscription or drop sockets: for the reconnect, refusal and
 * switching paths of upstream WebSocket subscriptions, which a real node does not do on demand.
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';

export interface FakeWsNode {
  readonly url: string;
  /** Sockets whose subscription was confirmed, open now. */
  readonly subscribed: number;
  /** Handshakes accepted so far, and the headers of the last one. */
  readonly connections: number;
  readonly lastHeaders: IncomingHttpHeaders | undefined;
  /** Answer eth_subscribe with an error from now on. */
  refuse: boolean;
  /** Sends `result` as a notification on every subscribed socket. */
  notify(result: unknown): void;
  /** Sends raw text on every subscribed socket. */
  sendRaw(text: string): void;
  dropAll(): void;
  close(): Promise<void>;
}

export async function startFakeWsNode(): Promise<FakeWsNode> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const live = new Map<WebSocket, string>();
  let connections = 0;
  let serial = 0;
  let lastHeaders: IncomingHttpHeaders | undefined;
  const node: FakeWsNode = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    get subscribed() {
      return live.size;
    },
    get connections() {
      return connections;
    },
    get lastHeaders() {
      return lastHeaders;
    },
    refuse: false,
    notify(result) {
      for (const [ws, id] of live)
        ws.send(
          JSON.stringify({
            jsonrpc: '2.0',
            method: 'eth_subscription',
            params: { subscription: id, result },
          }),
        );
    },
    sendRaw(text) {
      for (const ws of live.keys()) ws.send(text);
    },
    dropAll() {
      for (const ws of wss.clients) ws.terminate();
      live.clear();
    },
    async close() {
      node.dropAll();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
  wss.on('connection', (ws, req) => {
    connections++;
    lastHeaders = req.headers;
    ws.on('close', () => live.delete(ws));
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { id: unknown; method: string };
      if (message.method !== 'eth_subscribe') return;
      if (node.refuse) {
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'no' } }));
        return;
      }
      const id = `0x${(++serial).toString(16)}`;
      live.set(ws, id);
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: message.id, result: id }));
    });
  });
  return node;
}
