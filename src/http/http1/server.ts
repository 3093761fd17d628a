/**
 * Turnpike's HTTP/1.1 server on `node:net`. node:http builds a stream, an IncomingMessage and
 * a ServerResponse per request; for small JSON-RPC exchanges that machinery cost about as much
 * CPU as the proxying itself (docs/benchmarks.md). Here a request is parsed straight from the
 * socket's bytes and answered with one write. Timeouts are enforced by one sweep a second,
 * not a timer per request.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import type { ExchangeHandler, HttpRequest } from '../exchange.js';
import type { UpgradeHandler } from '../upgrade.js';
import type { RequestBudget } from './body-buffer.js';
import { type ConnectionHost, type ConnectionLimits, Http1Connection } from './connection.js';

export interface Http1ServerOptions extends ConnectionLimits {
  readonly maxConnections: number;
  /**
   * Request bytes this server may hold across all connections: heads and bodies received over
   * several reads, and bytes read ahead of waiting requests. Beyond it a connection that needs
   * more gets 503 `ERR_SERVER_BUSY` and is closed. Requests that arrive whole in one read cost
   * nothing here.
   */
  readonly maxBufferedRequestBytes: number;
  /** Add `Server-Timing: total;dur=…` to the errors this layer answers itself (400, 408, 413, 431). */
  readonly serverTiming?: boolean;
}

const SWEEP_INTERVAL_MS = 1_000;

export interface Http1ServerStats {
  readonly connections: number;
  /** Sockets handed to the upgrade handler and still open. */
  readonly upgraded: number;
  /** Request bytes held now (see `maxBufferedRequestBytes`). */
  readonly bufferedRequestBytes: number;
  /** The most `bufferedRequestBytes` has been since the server started. */
  readonly peakBufferedRequestBytes: number;
  /** Response bytes written to sockets and not yet taken by the kernel. */
  readonly bufferedResponseBytes: number;
}

/** The worker-wide count of buffered request bytes, and its bound. */
class RequestBytes implements RequestBudget {
  held = 0;
  peak = 0;

  constructor(private readonly limit: number) {}

  reserve(bytes: number): boolean {
    const held = this.held + bytes;
    if (held > this.limit) return false;
    this.held = held;
    if (held > this.peak) this.peak = held;
    return true;
  }

  release(bytes: number): void {
    this.held -= bytes;
  }
}

export class Http1Server implements ConnectionHost {
  readonly limits: ConnectionLimits;
  readonly serverTiming: boolean;
  draining = false;
  date = new Date().toUTCString();
  now = performance.now();
  readonly requestBytes: RequestBytes;
  private readonly server: net.Server;
  private readonly connections = new Set<Http1Connection>();
  /** Sockets handed to the upgrade handler: still this server's to cut at the end of a drain. */
  private readonly upgraded = new Set<Socket>();
  private readonly sweeper: NodeJS.Timeout;
  private closed: Promise<void> | undefined;

  constructor(
    options: Http1ServerOptions,
    readonly handler: ExchangeHandler,
    readonly upgradeHandler?: UpgradeHandler,
  ) {
    this.limits = options;
    this.serverTiming = options.serverTiming ?? false;
    this.requestBytes = new RequestBytes(options.maxBufferedRequestBytes);
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      if (this.draining) {
        socket.destroy();
        return;
      }
      this.connections.add(new Http1Connection(socket, this));
    });
    this.server.maxConnections = options.maxConnections;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** For tests and diagnostics; walks the connections (not for a hot path). */
  stats(): Http1ServerStats {
    let bufferedResponseBytes = 0;
    for (const connection of this.connections) bufferedResponseBytes += connection.socket.writableLength;
    return {
      connections: this.connections.size,
      upgraded: this.upgraded.size,
      bufferedRequestBytes: this.requestBytes.held,
      peakBufferedRequestBytes: this.requestBytes.peak,
      bufferedResponseBytes,
    };
  }

  forget(connection: Http1Connection): void {
    this.connections.delete(connection);
  }

  /** Hands a connection's socket to the upgrade handler (the connection has let go of it). */
  upgrade(request: HttpRequest, socket: Socket, head: Buffer): void {
    const upgradeHandler = this.upgradeHandler!;
    this.upgraded.add(socket);
    socket.once('close', () => this.upgraded.delete(socket));
    socket.on('error', () => socket.destroy());
    try {
      upgradeHandler(request, socket, head);
    } catch {
      socket.destroy();
    }
  }

  /**
   * Stops accepting and closes idle connections; busy ones close after their current response.
   * Resolves once every connection is gone.
   */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.draining = true;
      // net.Server calls back once the listener is closed and every connection has ended.
      this.server.close(() => {
        clearInterval(this.sweeper);
        resolve();
      });
      for (const connection of this.connections) connection.closeIfIdle();
    });
    return this.closed;
  }

  /** Cuts every connection, busy or not (the end of a shutdown grace period). */
  destroyAll(): void {
    for (const connection of this.connections) connection.socket.destroy();
    for (const socket of this.upgraded) socket.destroy();
  }

  private sweep(): void {
    this.now = performance.now();
    this.date = new Date().toUTCString();
    for (const connection of this.connections) connection.sweep(this.now);
  }
}
