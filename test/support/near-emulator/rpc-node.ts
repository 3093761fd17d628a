/**
 * One emulated NEAR RPC node on loopback: JSON-RPC over HTTP onto a shared NearChain, with the
 * faults the EVM tests inject through the fault proxy (hang, reset, HTTP status, latency) plus
 * NEAR's own (TIMEOUT_ERROR, "transaction expired", invalid nonce), a lag behind the chain, a
 * chain id of its own, and kill / revive on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { NearChain } from './near-chain.js';
import { invalidTransaction, NearRpcError, timeoutError } from './near-errors.js';
import { handleNearMethod, type NodeView } from './rpc-handlers.js';

export type NearFault = { readonly methods?: readonly string[]; times?: number } & (
  | { readonly kind: 'hang' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'http-status'; readonly status: number }
  | { readonly kind: 'latency'; readonly ms: number }
  | { readonly kind: 'timeout-error' }
  | { readonly kind: 'expired' }
  | { readonly kind: 'invalid-nonce' }
);

export interface NearNodeOptions {
  /** @default a free port */
  readonly port?: number;
  /** @default the chain's */
  readonly chainId?: string;
  readonly lagBlocks?: number;
  /** @default 10_000 */
  readonly txTimeoutMs?: number;
}

export interface NearNodeStats {
  requests: number;
  readonly byMethod: Map<string, number>;
}

const SEND_METHODS = new Set(['send_tx', 'broadcast_tx_async', 'broadcast_tx_commit']);

export class NearRpcNode implements NodeView {
  readonly stats: NearNodeStats = { requests: 0, byMethod: new Map() };
  chainId: string;
  lagBlocks: number;
  readonly txTimeoutMs: number;
  private faults: NearFault[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<ServerResponse>();
  port = 0;

  constructor(
    readonly chain: NearChain,
    private readonly options: NearNodeOptions = {},
  ) {
    this.chainId = options.chainId ?? chain.chainId;
    this.lagBlocks = options.lagBlocks ?? 0;
    this.txTimeoutMs = options.txTimeoutMs ?? 10_000;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts listening (again, on the same port after `kill`). */
  async listen(): Promise<void> {
    const server = createServer((req, res) => void this.serve(req, res));
    server.keepAliveTimeout = 60_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port || this.options.port || 0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** One fault, several (the first whose methods match applies), or none. */
  setFault(fault: NearFault | readonly NearFault[] | null): void {
    this.faults = fault === null ? [] : Array.isArray(fault) ? [...fault] : [fault as NearFault];
  }

  /** Like a node process dying: stops listening and destroys every connection. */
  async kill(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    for (const socket of this.sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  revive(): Promise<void> {
    return this.listen();
  }

  close(): Promise<void> {
    return this.kill();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let request: { id?: unknown; method?: unknown; params?: unknown };
    try {
      request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(res, 200, {
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32700,
          message: 'Parse error',
          name: 'REQUEST_VALIDATION_ERROR',
          cause: { name: 'PARSE_ERROR', info: {} },
        },
      });
    }
    const method = typeof request.method === 'string' ? request.method : '';
    this.stats.requests++;
    this.stats.byMethod.set(method, (this.stats.byMethod.get(method) ?? 0) + 1);
    const id = request.id ?? null;
    const fault = this.takeFault(method);
    try {
      if (fault !== undefined) {
        switch (fault.kind) {
          case 'hang':
            this.hung.add(res);
            res.on('close', () => this.hung.delete(res));
            return;
          case 'reset':
            req.socket.destroy();
            return;
          case 'http-status':
            return reply(res, fault.status, { error: 'injected' });
          case 'latency':
            await new Promise((resolve) => setTimeout(resolve, fault.ms));
            break;
          case 'timeout-error':
            // As on NEAR: a send that times out has still handed the transaction to the pool.
            if (SEND_METHODS.has(method)) submitQuietly(this.chain, request.params);
            throw timeoutError();
          case 'expired':
            throw invalidTransaction('Expired');
          case 'invalid-nonce':
            throw invalidTransaction({ InvalidNonce: { tx_nonce: 0, ak_nonce: 0 } });
        }
      }
      const result = await handleNearMethod(this, method, request.params as never);
      reply(res, 200, { jsonrpc: '2.0', id, result });
    } catch (err) {
      if (!(err instanceof NearRpcError)) {
        reply(res, 200, {
          jsonrpc: '2.0',
          id,
          error: {
            name: 'INTERNAL_ERROR',
            cause: { name: 'INTERNAL_ERROR', info: { error_message: String(err) } },
            code: -32000,
            message: 'Server error',
            data: String(err),
          },
        });
        return;
      }
      reply(res, 200, { jsonrpc: '2.0', id, error: err.body });
    }
  }

  private takeFault(method: string): NearFault | undefined {
    for (const fault of this.faults) {
      const methods = fault.methods ?? (isTxFault(fault) ? [...SEND_METHODS] : undefined);
      if (methods !== undefined && !methods.includes(method)) continue;
      if (fault.times !== undefined) {
        if (fault.times <= 0) continue;
        fault.times--;
      }
      return fault;
    }
    return undefined;
  }
}

function submitQuietly(chain: NearChain, params: unknown): void {
  const base64 = Array.isArray(params)
    ? params[0]
    : (params as { signed_tx_base64?: unknown } | null)?.signed_tx_base64;
  try {
    chain.submit(base64);
  } catch {
    // an invalid transaction times out all the same
  }
}

function isTxFault(fault: NearFault): boolean {
  return fault.kind === 'expired' || fault.kind === 'invalid-nonce';
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
