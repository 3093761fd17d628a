/**
 * A WebSocket relay on loopback in front of a node's WebSocket endpoint (anvil serves one on its
 * HTTP port), so a test can take an upstream's socket away: `cut()` drops every relayed socket
 * (the relay still listens: the client reconnects), `pause()` drops them and stops listening
 * (reconnects fail until `resume()`). Frames pass through unchanged.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { getFreePort } from './free-port.js';

export interface WsRelay {
  readonly url: string;
  /** Relayed sockets open now. */
  readonly open: number;
  /** Client connections accepted so far. */
  readonly accepted: number;
  cut(): void;
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

export async function startWsRelay(target: string): Promise<WsRelay> {
  const port = await getFreePort();
  const pairs = new Set<{ client: WebSocket; node: WebSocket }>();
  const sockets = new Set<Socket>();
  const wss = new WebSocketServer({ noServer: true });
  let accepted = 0;
  let server: Server | undefined;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const created = createServer((_req, res) => res.writeHead(404).end());
      created.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      created.on('upgrade', (req, socket, head) => {
        wss.handleUpgrade(req, socket, head, (client) => relay(client));
      });
      created.once('error', reject);
      created.listen(port, '127.0.0.1', () => resolve());
      server = created;
    });

  const relay = (client: WebSocket) => {
    accepted++;
    const node = new WebSocket(target);
    const pair = { client, node };
    pairs.add(pair);
    const queued: WebSocket.RawData[] = [];
    const end = () => {
      pairs.delete(pair);
      client.terminate();
      node.terminate();
    };
    node.on('open', () => {
      for (const data of queued.splice(0)) node.send(data.toString());
    });
    client.on('message', (data) => {
      if (node.readyState === WebSocket.OPEN) node.send(data.toString());
      else queued.push(data);
    });
    node.on('message', (data) => {
      if (client.readyState === WebSocket.OPEN) client.send(data.toString());
    });
    for (const ws of [client, node]) {
      ws.on('close', end);
      ws.on('error', end);
    }
  };

  const cut = () => {
    for (const { client, node } of [...pairs]) {
      client.terminate();
      node.terminate();
    }
    pairs.clear();
    for (const socket of sockets) socket.destroy();
  };

  const stop = () =>
    new Promise<void>((resolve) => {
      cut();
      if (server === undefined) resolve();
      else server.close(() => resolve());
      server = undefined;
    });

  await listen();
  return {
    url: `ws://127.0.0.1:${port}`,
    get open() {
      return pairs.size;
    },
    get accepted() {
      return accepted;
    },
    cut,
    pause: stop,
    resume: listen,
    async close() {
      await stop();
      wss.close();
    },
  };
}
