/**
 * A lagging replica for tests: an HTTP JSON-RPC node that serves the *same chain* as a real
 * primary (anvil), only `lag` blocks late. It answers from the primary but pins `latest` and
 * `pending` to head − lag, says `null` (blocks, receipts, transactions) or "header not found"
 * (state reads) for anything above head − lag, clamps log ranges to head − lag, and reports
 * `eth_blockNumber` = head − lag. Writes (eth_sendRawTransaction) go to the primary, which mines
 * them; the replica shows them once they are `lag` blocks deep — like a node behind on sync.
 *
 * Fidelity limits (docs/consistency.md, "Lagging replica (tests)"): no own mempool (pending =
 * head − lag); block-hash state reads (EIP-1898 `blockHash`) and the `safe`/`finalized` tags
 * pass through unchanged; a reorg on the primary shows at once, not `lag` blocks later;
 * answers it does not know how to hold back (traces, debug_*) pass through.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Pool } from 'undici';

export interface LaggingReplicaOptions {
  /** Blocks the replica stays behind the primary's head. */
  lag: number;
}

export interface LaggingReplica {
  readonly url: string;
  readonly stats: {
    requests: number;
    /** Answers changed because the primary's answer was above the replica's head. */
    heldBack: number;
  };
  /** Changes the lag from the next request on. */
  setLag(lag: number): void;
  close(): Promise<void>;
}

interface Item {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

type Answer = { result: unknown } | { error: { code: number; message: string } };

const TIP = new Set(['latest', 'pending']);
/** Methods whose block parameter is a state read at that block, and where it sits. */
const STATE_BLOCK_INDEX: Record<string, number> = {
  eth_getBalance: 1,
  eth_getTransactionCount: 1,
  eth_getCode: 1,
  eth_getStorageAt: 2,
  eth_call: 1,
  eth_estimateGas: 1,
  eth_getProof: 2,
};
/** Methods that name a block by number (or tag) in their first parameter and answer null above the head. */
const BLOCK_BY_NUMBER = new Set([
  'eth_getBlockByNumber',
  'eth_getBlockReceipts',
  'eth_getBlockTransactionCountByNumber',
  'eth_getTransactionByBlockNumberAndIndex',
  'eth_getUncleCountByBlockNumber',
]);
/** Methods answered with an object whose `number` / `blockNumber` says where it is. */
const BY_HASH = new Set([
  'eth_getBlockByHash',
  'eth_getTransactionByHash',
  'eth_getTransactionReceipt',
  'eth_getTransactionByBlockHashAndIndex',
]);

export async function startLaggingReplica(
  primaryUrl: string,
  options: LaggingReplicaOptions,
): Promise<LaggingReplica> {
  const target = new URL(primaryUrl);
  const pool = new Pool(target.origin, { connections: 16, keepAliveTimeout: 10_000 });
  let lag = options.lag;
  const stats = { requests: 0, heldBack: 0 };
  const sockets = new Set<Socket>();

  async function call(method: string, params: unknown): Promise<Answer> {
    const res = await pool.request({
      path: target.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const body = (await res.body.json()) as { result?: unknown; error?: { code: number; message: string } };
    return body.error !== undefined ? { error: body.error } : { result: body.result ?? null };
  }

  async function visibleHead(): Promise<number> {
    const answer = await call('eth_blockNumber', []);
    if (!('result' in answer) || typeof answer.result !== 'string') throw new Error('primary has no head');
    return Math.max(0, Number.parseInt(answer.result, 16) - lag);
  }

  const held = <T>(value: T): T => {
    stats.heldBack++;
    return value;
  };

  async function answer(item: Item): Promise<Answer> {
    const method = typeof item.method === 'string' ? item.method : '';
    const params = Array.isArray(item.params) ? [...(item.params as unknown[])] : [];
    const head = await visibleHead();
    const hex = `0x${head.toString(16)}`;
    if (method === 'eth_blockNumber') return { result: hex };
    if (BLOCK_BY_NUMBER.has(method)) {
      const ref = params[0];
      if (ref === undefined || (typeof ref === 'string' && TIP.has(ref))) params[0] = hex;
      else if (heightOf(ref) > head) return held({ result: null });
      return call(method, params);
    }
    if (BY_HASH.has(method)) {
      const answered = await call(method, params);
      if ('result' in answered && heightOf(whereIs(answered.result)) > head) return held({ result: null });
      return answered;
    }
    const index = STATE_BLOCK_INDEX[method];
    if (index !== undefined) {
      const ref = params[index];
      const number =
        typeof ref === 'object' && ref !== null ? (ref as { blockNumber?: unknown }).blockNumber : ref;
      if (number === undefined || (typeof number === 'string' && TIP.has(number))) params[index] = hex;
      else if (heightOf(number) > head) return held({ error: { code: -32000, message: 'header not found' } });
      return call(method, params);
    }
    if (method === 'eth_getLogs') return logs(params, head, hex);
    if (method === 'eth_feeHistory' && typeof params[1] === 'string' && TIP.has(params[1])) params[1] = hex;
    return call(method, params);
  }

  /** Ranges end at the replica's head (old geth clamped the same way); a block above it has no logs yet. */
  async function logs(params: unknown[], head: number, hex: string): Promise<Answer> {
    const filter = { ...((params[0] ?? {}) as Record<string, unknown>) };
    if (typeof filter.blockHash === 'string') {
      const block = await call('eth_getBlockByHash', [filter.blockHash, false]);
      if ('result' in block && heightOf(whereIs(block.result)) > head) return held({ result: [] });
      return call('eth_getLogs', [filter]);
    }
    const from = filter.fromBlock;
    const to = filter.toBlock;
    if (from === undefined || (typeof from === 'string' && TIP.has(from))) filter.fromBlock = hex;
    else if (heightOf(from) > head) return held({ result: [] });
    if (to === undefined || (typeof to === 'string' && TIP.has(to))) filter.toBlock = hex;
    else if (heightOf(to) > head) {
      filter.toBlock = hex;
      stats.heldBack++;
    }
    return call('eth_getLogs', [filter]);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Item | Item[];
    const items = Array.isArray(parsed) ? parsed : [parsed];
    stats.requests += items.length;
    const answers = await Promise.all(
      items.map(async (item) => ({ jsonrpc: '2.0', id: item.id ?? null, ...(await answer(item)) })),
    );
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(Array.isArray(parsed) ? answers : answers[0]));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
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
    setLag(next) {
      lag = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.destroy();
    },
  };
}

/** A hex block number; a tag or anything unreadable counts as height 0 (never held back). */
function heightOf(value: unknown): number {
  if (typeof value !== 'string' || !/^0x[0-9a-f]+$/i.test(value)) return 0;
  return Number.parseInt(value, 16);
}

/** The block an answer object sits in (`number` of a block, `blockNumber` of a receipt/transaction). */
function whereIs(result: unknown): unknown {
  if (result === null || typeof result !== 'object') return undefined;
  const object = result as { number?: unknown; blockNumber?: unknown };
  return object.blockNumber ?? object.number;
}
