/**
 * A node in front of a real one (anvil) that limits `eth_getLogs` the way hosted providers do:
 * a range wider than `maxBlockRange` is refused ("exceed maximum block range"), and an answer
 * with more than `maxResults` logs is refused ("query returned more than N results"). Every
 * other request, and every answer within the limits, is the real node's.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Pool } from 'undici';

export interface LogsLimits {
  maxBlockRange?: number;
  maxResults?: number;
}

export interface LogsLimitedNode {
  readonly url: string;
  readonly stats: {
    getLogs: number;
    refusedRange: number;
    refusedResults: number;
    widest: number;
    /** Most eth_getLogs requests in flight at once. */
    maxInFlight: number;
  };
  close(): Promise<void>;
}

interface Item {
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

export async function startLogsLimitedNode(targetUrl: string, limits: LogsLimits): Promise<LogsLimitedNode> {
  const target = new URL(targetUrl);
  const pool = new Pool(target.origin, { connections: 16, keepAliveTimeout: 10_000 });
  const stats = { getLogs: 0, refusedRange: 0, refusedResults: 0, widest: 0, maxInFlight: 0 };
  let inFlight = 0;
  const sockets = new Set<Socket>();

  async function call(body: string): Promise<{ result?: unknown; error?: unknown }> {
    const res = await pool.request({
      path: target.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return (await res.body.json()) as { result?: unknown; error?: unknown };
  }

  async function height(ref: unknown): Promise<number> {
    if (typeof ref === 'string' && /^0x[0-9a-f]+$/i.test(ref)) return Number.parseInt(ref, 16);
    if (ref === 'earliest') return 0;
    const head = await call('{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}');
    return Number.parseInt(String(head.result), 16);
  }

  async function answer(item: Item): Promise<object> {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: item.id ?? null,
      method: item.method,
      params: item.params,
    });
    if (item.method !== 'eth_getLogs') return call(body);
    stats.getLogs++;
    stats.maxInFlight = Math.max(stats.maxInFlight, ++inFlight);
    try {
      return await limited(item, body);
    } finally {
      inFlight--;
    }
  }

  async function limited(item: Item, body: string): Promise<object> {
    const filter = ((item.params as unknown[] | undefined)?.[0] ?? {}) as Record<string, unknown>;
    if (filter.blockHash === undefined && limits.maxBlockRange !== undefined) {
      const span = (await height(filter.toBlock)) - (await height(filter.fromBlock)) + 1;
      stats.widest = Math.max(stats.widest, span);
      if (span > limits.maxBlockRange) {
        stats.refusedRange++;
        return { error: { code: -32600, message: `exceed maximum block range: ${limits.maxBlockRange}` } };
      }
    }
    const answered = await call(body);
    if (
      limits.maxResults !== undefined &&
      Array.isArray(answered.result) &&
      answered.result.length > limits.maxResults
    ) {
      stats.refusedResults++;
      return { error: { code: -32005, message: `query returned more than ${limits.maxResults} results` } };
    }
    return answered;
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Item | Item[];
      const items = Array.isArray(parsed) ? parsed : [parsed];
      Promise.all(
        items.map(async (item) => ({ ...(await answer(item)), jsonrpc: '2.0', id: item.id ?? null })),
      )
        .then((answers) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(Array.isArray(parsed) ? answers : answers[0]));
        })
        .catch((err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.destroy();
    },
  };
}
