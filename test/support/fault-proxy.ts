/**
 * A real fault-injecting HTTP proxy on loopback for upstream failover tests. Faults are decided per
 * request, not per connection, because clients keep connections alive and would never see a switch.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Dispatcher, Pool } from 'undici';

interface FaultFilter {
  /** Chance (0..1) that a matching request is faulted. @default 1 */
  probability?: number;
  /** Fault only requests whose JSON-RPC method is listed (a batch matches if any item does). */
  methods?: string[];
}

export type Fault = FaultFilter &
  (
    | { kind: 'latency'; ms: number }
    | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
    | { kind: 'rpc-error'; code: number; message: string }
    | { kind: 'garbage' }
    | { kind: 'truncate' }
    | { kind: 'reset' }
    | { kind: 'hang' }
  );

export interface FaultProxyStats {
  requests: number;
  forwarded: number;
  faulted: number;
  /** Requests per JSON-RPC method (each batch item counts). */
  byMethod: Map<string, number>;
}

export interface FaultProxyOptions {
  /** Listening port. @default a free port */
  port?: number;
  /** Parse every body to fill `stats.byMethod`; when false, bodies are parsed only for a method filter. @default true */
  countMethods?: boolean;
}

export interface FaultProxy {
  url: string;
  port: number;
  readonly stats: FaultProxyStats;
  /** One fault, or several: each request gets the first one whose filter matches it. */
  setFault(fault: Fault | readonly Fault[] | null): void;
  resetStats(): void;
  /** Stops listening and destroys every connection, like a node going away. */
  pause(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

interface RpcItem {
  id?: unknown;
  method?: unknown;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te']);
const HOST = '127.0.0.1';

export async function startFaultProxy(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const upstream = new Pool(targetUrl.origin, { connections: 32, keepAliveTimeout: 10_000 });
  const countMethods = options.countMethods ?? true;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let faults: readonly Fault[] = [];
  let stats = emptyStats();
  let closed = false;

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    stats.requests++;
    const filtered = faults.some((f) => f.methods !== undefined);
    const parsed = countMethods || filtered ? parseRequest(body) : undefined;
    const items = parsed?.items;
    const current = faults.find((f) => applies(f, items)) ?? null;
    for (const { method } of countMethods ? (items ?? []) : []) {
      if (typeof method === 'string') stats.byMethod.set(method, (stats.byMethod.get(method) ?? 0) + 1);
    }
    if (current === null) return forward(req, res, body);
    stats.faulted++;
    switch (current.kind) {
      case 'latency':
        await sleep(current.ms);
        if (closed || res.destroyed) return;
        return forward(req, res, body);
      case 'status':
        res.writeHead(current.status, { 'content-type': 'application/json', ...current.headers });
        res.end(current.body ?? '');
        return;
      case 'rpc-error': {
        const error = { code: current.code, message: current.message };
        const reply = (item: RpcItem): unknown => ({ jsonrpc: '2.0', id: item.id ?? null, error });
        const request = parsed ?? parseRequest(body) ?? { batch: false, items: [] };
        const payload = request.batch ? request.items.map(reply) : reply(request.items[0] ?? {});
        sendJson(res, JSON.stringify(payload));
        return;
      }
      case 'garbage':
        // A leading NUL byte guarantees the body is never valid JSON.
        sendJson(res, Buffer.concat([Buffer.from('\u0000<garbage>'), randomBytes(64)]));
        return;
      case 'truncate': {
        const full = '{"jsonrpc":"2.0","id":1,"result":"0x0000000000000000000000000000000000000000"}';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': full.length });
        res.write(full.slice(0, full.length >> 1), () => res.socket?.destroy());
        return;
      }
      case 'reset': {
        // Prefer a TCP RST (ECONNRESET) over a FIN so the client cannot mistake it for a clean close.
        const socket = req.socket as Socket & { resetAndDestroy?: () => Socket };
        if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
        else socket.destroy();
        return;
      }
      case 'hang':
        return; // the socket is destroyed when the client gives up or the proxy closes/pauses
    }
  }

  async function forward(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    stats.forwarded++;
    const path = targetUrl.pathname === '/' ? (req.url ?? '/') : `${targetUrl.pathname}${targetUrl.search}`;
    try {
      const up = await upstream.request({
        method: (req.method ?? 'POST') as Dispatcher.HttpMethod,
        path,
        headers: relayHeaders(req.headers, ['host', 'content-length']),
        body,
      });
      const payload = Buffer.from(await up.body.arrayBuffer());
      if (res.destroyed) return;
      res.writeHead(up.statusCode, relayHeaders(up.headers, ['content-length']));
      res.end(payload);
    } catch (err) {
      // Behave like a reverse proxy whose upstream is gone: 502 with the reason.
      if (res.destroyed || res.headersSent) return void res.destroy();
      const code = (err as { code?: string }).code ?? 'UPSTREAM_ERROR';
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault-proxy: upstream error ${code}`);
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function dropConnections(): void {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  }

  function stopListening(): Promise<void> {
    if (!server.listening) return Promise.resolve();
    const done = new Promise<void>((resolve) => server.close(() => resolve()));
    dropConnections();
    return done;
  }

  await listen(server, options.port ?? 0);
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${HOST}:${port}`,
    port,
    get stats() {
      return stats;
    },
    setFault(next) {
      const list: readonly Fault[] = next === null ? [] : Array.isArray(next) ? next : [next as Fault];
      for (const { probability } of list) {
        if (probability !== undefined && (probability < 0 || probability > 1)) {
          throw new RangeError(`probability must be within 0..1, got ${probability}`);
        }
      }
      faults = list;
    },
    resetStats() {
      stats = emptyStats();
    },
    pause: stopListening,
    resume: () => (closed || server.listening ? Promise.resolve() : listen(server, port)),
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await stopListening();
      dropConnections();
      await upstream.destroy();
    },
  };
}

function emptyStats(): FaultProxyStats {
  return { requests: 0, forwarded: 0, faulted: 0, byMethod: new Map() };
}

function applies(fault: Fault, items: RpcItem[] | undefined): boolean {
  if (fault.methods !== undefined) {
    const methods = fault.methods;
    if (!items?.some((item) => typeof item.method === 'string' && methods.includes(item.method)))
      return false;
  }
  return Math.random() < (fault.probability ?? 1);
}

/** The request's items (a single request is a list of one); undefined when the body is not JSON. */
function parseRequest(body: Buffer): { batch: boolean; items: RpcItem[] } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const batch = Array.isArray(parsed);
  const list: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  const items = list.filter((item): item is RpcItem => item !== null && typeof item === 'object');
  return { batch, items };
}

function relayHeaders(
  headers: Record<string, string | string[] | undefined>,
  drop: readonly string[],
): OutgoingHttpHeaders & Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || drop.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

function sendJson(res: ServerResponse, body: string | Buffer): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: HOST }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
