/**
 * One client connection: parses requests, hands them to the handler one at a time (pipelined
 * requests wait their turn, so responses go out in order), writes each response in one go (at
 * the end of the event loop's batch, write-batch.ts), and enforces the header, request and
 * keep-alive timeouts when the server sweeps. Backpressure: while the socket's buffer is full
 * (the client does not read) no request is dispatched and nothing is read or parsed, so at most
 * 16 parsed requests (MAX_QUEUED, request-parser.ts) and one buffer's worth of responses wait in
 * the process.
 */
import type { Socket } from 'node:net';
import type { GatewayError } from '../../errors/gateway-error.js';
import { toGatewayError } from '../../errors/gateway-error.js';
import { errorResponse } from '../../rpc/serialize.js';
import type {
  ExchangeHandler,
  HttpRequest,
  ResponseBody,
  ResponseHeaders,
  ResponseStream,
  ResponseWriter,
} from '../exchange.js';
import { totalOnlyHeader } from '../server-timing.js';
import { type UpgradeHandler, wantsWebSocket } from '../upgrade.js';
import type { RequestBudget } from './body-buffer.js';
import { requestTimeout } from './errors.js';
import { type ParsedRequest, type ParserLimits, RequestParser } from './request-parser.js';
import { responseBody, serializeHead, writeResponse } from './response-bytes.js';
import { SocketStream } from './socket-stream.js';
import { holdUntilBatchEnd } from './write-batch.js';

const NO_BYTES = Buffer.alloc(0);
/**
 * After our last response, how long a client may keep its side open. Meanwhile what it still
 * sends is read and dropped: closing with unread bytes would send a RST that can destroy the
 * response before the client reads it (the "lingering close" of RFC 9112 §9.6).
 */
const LINGER_MS = 2_000;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

export interface ConnectionLimits extends ParserLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly limits: ConnectionLimits;
  readonly handler: ExchangeHandler;
  /** Set while the server shuts down: every response then closes its connection. */
  readonly draining: boolean;
  /** The current `Date` header value, refreshed once a second. */
  readonly date: string;
  /** A coarse clock (`performance.now()` at the last sweep). */
  readonly now: number;
  /** Whether the errors answered here carry `Server-Timing`. */
  readonly serverTiming: boolean;
  /** The worker-wide count of buffered request bytes (`server.maxBufferedRequestBytes`). */
  readonly requestBytes: RequestBudget;
  /** Set when a module takes WebSocket handshakes. */
  readonly upgradeHandler?: UpgradeHandler | undefined;
  forget(connection: Http1Connection): void;
  /** Hands the socket to `upgradeHandler`. */
  upgrade(request: HttpRequest, socket: Socket, head: Buffer): void;
}

export class Http1Connection implements RequestBudget {
  private readonly parser: RequestParser;
  private readonly queue: ParsedRequest[] = [];
  private current: Exchange | undefined;
  /** A parse error or timeout, answered once the requests before it are answered. */
  private failure: GatewayError | undefined;
  private dispatching = false;
  private clientEnded = false;
  private readingPaused = false;
  /** A write returned false: nothing more is dispatched until the socket drains. */
  private awaitingDrain = false;
  /** Request bytes this connection has reserved against the worker's budget. */
  private buffered = 0;
  /** When the last response was written (or the connection opened): the idle clock. */
  private lastActive: number;
  /** When we ended our side (0 = not yet). */
  private endedAt = 0;
  /** No more responses will be written (we ended our side, or the socket closed). */
  closed = false;

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.parser = new RequestParser(host.limits, socket.remoteAddress, this);
    this.lastActive = performance.now();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.closed = true;
      host.requestBytes.release(this.buffered);
      this.buffered = -1;
      host.forget(this);
    });
  }

  /** No request being received, worked on or waiting. */
  get idle(): boolean {
    return (
      this.current === undefined &&
      this.queue.length === 0 &&
      this.parser.receivedAt === 0 &&
      !this.parser.holding
    );
  }

  reserve(bytes: number): boolean {
    if (this.buffered < 0 || !this.host.requestBytes.reserve(bytes)) return false;
    this.buffered += bytes;
    return true;
  }

  release(bytes: number): void {
    // After the close everything was released at once.
    if (this.buffered < 0) return;
    this.buffered -= bytes;
    this.host.requestBytes.release(bytes);
  }

  /** Called by the server's sweep: enforces timeouts without a timer per request. */
  sweep(now: number): void {
    if (this.endedAt !== 0) {
      if (now - this.endedAt > LINGER_MS) this.socket.destroy();
      return;
    }
    const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = this.host.limits;
    // A client that has not read its answers for a keep-alive timeout is not coming back for them.
    if (this.awaitingDrain && now - this.lastActive > keepAliveTimeoutMs) {
      this.socket.destroy();
      return;
    }
    if (this.closed || this.failure !== undefined) return;
    const started = this.parser.receivedAt;
    if (started !== 0) {
      const limit = this.parser.readingBody ? requestTimeoutMs : Math.min(headersTimeoutMs, requestTimeoutMs);
      if (now - started > limit) this.fail(requestTimeout());
    } else if (this.idle && now - this.lastActive > keepAliveTimeoutMs) {
      this.socket.destroy();
    }
  }

  /**
   * Ends the connection if nothing is in progress on it (used when draining). Ended, not
   * destroyed: the last response may still sit in the socket's buffer, and destroying would
   * throw its unsent bytes away.
   */
  closeIfIdle(): void {
    if (this.idle && !this.closed) this.endOurSide();
  }

  // Data is not activity for the idle clock: only answered requests are (stray CRLFs sent to
  // keep a connection open do not). A request in progress is under the header/request timeouts.
  private onData(chunk: Buffer): void {
    if (this.failure !== undefined || this.closed) return;
    const before = this.queue.length;
    this.parse(chunk);
    if (this.queue.length > before && this.current === undefined) this.dispatch();
    // Requests still waiting (pipelined behind a slow one): read no more until they are
    // dispatched, so those waiting all come from one read.
    if (this.queue.length !== 0) this.pauseReading();
  }

  /** Parses `chunk` (empty: the bytes the parser held) into the queue. */
  private parse(chunk: Buffer): void {
    const { parser } = this;
    try {
      parser.push(chunk, performance.now(), this.queue);
    } catch (err) {
      // Requests completed before the bad bytes are still answered, then the error.
      this.fail(toGatewayError(err));
    }
    if (this.closed) return;
    if (parser.holding) this.pauseReading();
    if (
      this.failure === undefined &&
      parser.wantsContinue &&
      this.current === undefined &&
      this.queue.length === 0
    ) {
      parser.wantsContinue = false;
      this.socket.write(CONTINUE, 'latin1');
    }
  }

  private onDrain(): void {
    this.awaitingDrain = false;
    this.dispatch();
  }

  private onEnd(): void {
    this.clientEnded = true;
    if (this.closed) return; // our side is ended too: the socket closes by itself
    // Finished requests are still answered (afterLastResponse ends then); a half-sent one can
    // never complete. Ended, not destroyed: answers still in the socket's buffer go out first.
    if (this.current === undefined && this.queue.length === 0 && !this.parser.holding) this.endOurSide();
  }

  /**
   * Runs queued requests one after another; a loop, not recursion, for long pipelines. Stops
   * while the socket must drain: answers to a client that does not read would pile up here.
   */
  private dispatch(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    const { queue } = this;
    while (this.current === undefined && !this.closed && !this.awaitingDrain) {
      if (queue.length === 0 && this.parser.holding && this.failure === undefined) this.parse(NO_BYTES);
      const request = queue.shift();
      if (request === undefined) {
        this.afterLastResponse();
        break;
      }
      if (request.reserved !== 0) this.release(request.reserved);
      // The one branch upgrades cost the hot path, on a field the parser set.
      if (request.upgrade && this.takesUpgrade(request)) {
        this.handOver(request);
        break;
      }
      const exchange = new Exchange(this, request);
      this.current = exchange;
      try {
        this.host.handler(request, exchange);
      } catch (err) {
        exchange.end(500, {}, errorResponse(null, toGatewayError(err)));
      }
    }
    this.dispatching = false;
    this.resumeIfPossible();
  }

  private takesUpgrade(request: ParsedRequest): boolean {
    return this.host.upgradeHandler !== undefined && wantsWebSocket(request.method, request.headers.upgrade);
  }

  /**
   * Lets go of the socket (listeners, budget, the server's sweep) and hands it, paused, with
   * the bytes read past the handshake, to the upgrade handler. Requests never follow a
   * handshake: the parser stopped at it.
   */
  private handOver(request: ParsedRequest): void {
    const rest = this.parser.takeRest();
    this.letGo();
    this.host.upgrade(request, this.socket, rest);
  }

  /** Stops serving HTTP on the socket: listeners, budget and the server's sweep let go of it. */
  private letGo(): void {
    const { socket } = this;
    this.parser.discard();
    this.closed = true;
    this.readingPaused = false;
    socket.pause();
    for (const event of ['data', 'end', 'drain', 'error', 'close'] as const) socket.removeAllListeners(event);
    this.host.requestBytes.release(this.buffered);
    this.buffered = -1;
    this.host.forget(this);
  }

  /**
   * Answers the current exchange with a stream that has no end (ResponseWriter.stream); requests
   * pipelined behind it are dropped, as the stream ends the connection.
   */
  streamOut(status: number, headers: ResponseHeaders): SocketStream | undefined {
    this.current = undefined;
    if (this.closed) return undefined;
    this.letGo();
    return new SocketStream(this.socket, status, headers, this.host.date);
  }

  private afterLastResponse(): void {
    if (this.failure !== undefined) this.writeFailure(this.failure);
    // The client ended its side: a request it left half-sent can never complete.
    else if (this.clientEnded) this.endOurSide();
    else if (this.parser.wantsContinue) {
      // A pipelined request asked for 100-continue while earlier ones were still answered.
      this.parser.wantsContinue = false;
      this.socket.write(CONTINUE, 'latin1');
    }
  }

  /** Ends our side after the last response; keeps reading (and dropping) until the linger ends. */
  private endOurSide(): void {
    this.closed = true;
    this.endedAt = this.host.now || 1;
    this.socket.end();
    if (this.readingPaused) {
      this.readingPaused = false;
      this.socket.resume();
    }
  }

  /** See ResponseWriter.onClientGone: the client's end of the stream, or the socket closing. */
  onClientGone(listener: () => void): () => void {
    const socket = this.socket;
    let done = false;
    const remove = () => {
      done = true;
      socket.off('end', fire);
      socket.off('close', fire);
    };
    const fire = () => {
      if (done) return;
      remove();
      listener();
    };
    if (this.clientEnded || socket.destroyed) queueMicrotask(fire);
    else {
      socket.once('end', fire);
      socket.once('close', fire);
    }
    return remove;
  }

  /** Writes the response of the current exchange; called once per exchange. */
  respond(
    request: ParsedRequest,
    status: number,
    headers: ResponseHeaders,
    body: ResponseBody | undefined,
  ): void {
    this.current = undefined;
    if (this.closed) return;
    const keepAlive = request.keepAlive && headers.connection !== 'close' && !this.host.draining;
    const bytes = responseBody(status, body);
    const head = serializeHead({
      status,
      headers,
      bodyLength: bytes?.byteLength ?? 0,
      keepAlive,
      minorVersion: request.minorVersion,
      date: this.host.date,
    });
    holdUntilBatchEnd(this.socket);
    const flushed = writeResponse(this.socket, head, request.method === 'HEAD' ? undefined : bytes);
    // The exact time, not the sweep's coarse clock: the idle timeout must never fire early.
    this.lastActive = performance.now();
    if (!keepAlive) {
      this.endOurSide();
      return;
    }
    if (!flushed) {
      this.awaitingDrain = true;
      this.pauseReading();
    }
    this.dispatch();
  }

  private fail(error: GatewayError): void {
    this.failure = error;
    this.parser.discard();
    this.pauseReading();
    if (this.current === undefined && this.queue.length === 0) this.writeFailure(error);
  }

  private writeFailure(error: GatewayError): void {
    if (this.closed) return;
    const body = Buffer.from(errorResponse(null, error));
    const headers: ResponseHeaders = { 'content-type': 'application/json' };
    // Only ERR_SERVER_BUSY: the worker is short of buffer space, not the request wrong.
    if (error.httpStatus === 503) headers['retry-after'] = 1;
    if (this.host.serverTiming) {
      const started = this.parser.receivedAt;
      headers['server-timing'] = totalOnlyHeader(started === 0 ? 0 : performance.now() - started);
    }
    const head = serializeHead({
      status: error.httpStatus,
      headers,
      bodyLength: body.length,
      keepAlive: false,
      minorVersion: 1,
      date: this.host.date,
    });
    writeResponse(this.socket, head, body);
    this.endOurSide();
  }

  private pauseReading(): void {
    if (this.readingPaused) return;
    this.readingPaused = true;
    this.socket.pause();
  }

  /** Reads again once every parsed request was dispatched and the socket has drained. */
  private resumeIfPossible(): void {
    if (!this.readingPaused || this.failure !== undefined) return;
    if (this.queue.length !== 0 || this.parser.holding || this.awaitingDrain) return;
    this.readingPaused = false;
    this.socket.resume();
  }
}

/** The writer handed to the handler for one request. */
class Exchange implements ResponseWriter {
  private done = false;

  constructor(
    private readonly connection: Http1Connection,
    private readonly request: ParsedRequest,
  ) {}

  end(status: number, headers: ResponseHeaders, body?: ResponseBody): void {
    if (this.done) return;
    this.done = true;
    this.connection.respond(this.request, status, headers, body);
  }

  onClientGone(listener: () => void): () => void {
    return this.connection.onClientGone(listener);
  }

  stream(status: number, headers: ResponseHeaders): ResponseStream | undefined {
    if (this.done) return undefined;
    this.done = true;
    return this.connection.streamOut(status, headers);
  }
}
