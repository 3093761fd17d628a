/**
 * One WebSocket connection: each message runs through the request pipeline (socket-rpc.ts)
 * with a fresh Access from the auth stage, as an HTTP request would. Bounded: at most
 * `maxInflightPerConnection` requests at once (past it the socket is not read), and at most
 * `maxSendBufferBytes` of unsent answers (past it the socket is closed with 4008 and nothing
 * more is sent). Logs a summary when it closes.
 */
import { type RawData, WebSocket } from 'ws';
import type { RealtimeConfig } from '../config/schema.js';
import type { GatewayError } from '../errors/gateway-error.js';
import { plainBody, type RequestHeaders, type ResponseBody } from '../http/exchange.js';
import type { Logger } from '../logging/logger.js';
import { authenticate, authenticated } from '../network/auth-stage.js';
import type { Consistency } from '../network/consistency/consistency.js';
import type { Network } from '../network/network.js';
import type { PipelineCall } from '../network/pipeline-call.js';
import { failure } from '../network/pipeline-failure.js';
import { StageTiming } from '../network/stage-timing.js';
import { errorResponse } from '../rpc/serialize.js';
import type { NotificationMeter } from '../tenancy/notification-meter.js';
import type { Tenancy } from '../tenancy/tenancy.js';
import type { SubscriptionFeed } from './feed/subscription-feed.js';
import { type FrameSink, NotificationFrames } from './notification-frames.js';
import type { RealtimeStats } from './realtime-stats.js';
import { answerMessage } from './socket-rpc.js';
import { SocketSubscriptions, type SubscriptionHost } from './socket-subscriptions.js';

/** Close codes Turnpike sends (docs/websocket.md). 1001 drain, 1009 too big come from RFC 6455. */
export const CLOSE_CODE = {
  idle: 1000,
  goingAway: 1001,
  keyRevoked: 4001,
  slowConsumer: 4008,
} as const;

/** Corked notification bytes written out at once (one writev), within a tick's fan-out. */
const CORK_FLUSH_BYTES = 64 * 1024;
/** How long a socket we closed may take to finish the close handshake before it is cut. */
const CLOSE_GRACE_MS = 2_000;

/** Who is on the socket, as checked at the handshake. */
export interface SessionIdentity {
  readonly network: Network;
  /** The handshake's path (it may carry the key) and headers, for re-authentication. */
  readonly path: string;
  readonly headers: RequestHeaders;
  readonly ip: string | undefined;
  /** The API key's id; undefined for keyless access. */
  readonly keyId: string | undefined;
}

/** What a session needs from the realtime module. */
export interface SessionOwner {
  readonly config: RealtimeConfig;
  readonly maxBatchSize: number;
  readonly stats: RealtimeStats;
  readonly log: Logger;
  readonly tenancy: () => Tenancy | undefined;
  /** Sessions and directives (`consistency.enabled`), else undefined. */
  readonly consistency: () => Consistency | undefined;
  /** The network's subscription feed, created on first use, or why there is none. */
  feedFor(network: Network): SubscriptionFeed | GatewayError;
  closed(session: SocketSession): void;
}

/** The socket under the WebSocket (a net.Socket): writes between cork() and uncork() leave together. */
export interface Corkable extends FrameSink {
  cork(): void;
  uncork(): void;
}

export class SocketSession implements SubscriptionHost {
  private inflight = 0;
  private messages = 0;
  private answers = 0;
  private notifications = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private readonly openedAt = performance.now();
  private lastMessageAt = this.openedAt;
  /** Answered the last ping. */
  private alive = true;
  private readingPaused = false;
  /** Messages read past `maxInflightPerConnection`, started as earlier ones settle. */
  private readonly waiting: Buffer[] = [];
  private draining = false;
  /** When we started closing (0 = open): nothing is sent or read after it. */
  private closingAt = 0;
  /** Notifications are being held until the end of this tick (see send). */
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.transport?.uncork();
  };
  readonly subscriptions = new SocketSubscriptions(this);
  /** A keyed socket's notification metering, from its first authenticated message. */
  private notes: NotificationMeter | undefined;
  /** Bytes of the last frame `send` wrote. */
  private lastSentBytes = 0;
  /** Notifications framed here and written once per tick; undefined: through `ws.send`. */
  private readonly frames: NotificationFrames | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly identity: SessionIdentity,
    private readonly owner: SessionOwner,
    private readonly transport?: Corkable,
  ) {
    // With permessage-deflate `ws` compresses and may queue its own frames: it keeps them all.
    this.frames =
      transport !== undefined && ws.extensions === '' ? new NotificationFrames(transport) : undefined;
    ws.on('message', (data: RawData) => this.onMessage(bytesOf(data)));
    ws.on('pong', () => {
      this.alive = true;
    });
    // ws emits the error (e.g. a message past maxPayload: close 1009), then 'close'.
    ws.on('error', () => undefined);
    ws.on('close', (code: number, reason: Buffer) => this.onClose(code, reason));
  }

  get maxSubscriptions(): number {
    return this.owner.config.maxSubscriptionsPerConnection;
  }

  feed(): SubscriptionFeed | GatewayError {
    return this.owner.feedFor(this.identity.network);
  }

  /** One frame that is not an answer (a subscription's last, error notification); false once it cannot be sent. */
  sendText(text: string): boolean {
    return this.send(text, true);
  }

  /**
   * One metered notification (`prefix` + `body`): false once it cannot be sent, the 402 error
   * when the key's credits or quota cannot pay it (nothing is sent then).
   */
  sendNotification(prefix: Buffer, body: Buffer): boolean | GatewayError {
    const notes = this.notes;
    const refused = notes?.take();
    if (refused !== undefined) return refused;
    if (this.notify(prefix, body)) {
      notes?.sent(this.lastSentBytes);
      return true;
    }
    notes?.giveBack();
    return false;
  }

  /** Notifications sent by kind (`newHeads`, `logs`, …): the module's counter for `kind`. */
  counterFor(kind: string): { sent: number } {
    return this.owner.stats.notificationCounter(kind);
  }

  /** Hands the notifications metered since the last sweep to the usage meter. */
  flushUsage(): void {
    this.notes?.flush();
  }

  /** Answers what is in flight, then closes with 1001; messages after this are not read. */
  drain(): void {
    this.draining = true;
    this.waiting.length = 0;
    if (this.inflight === 0) this.close(CLOSE_CODE.goingAway, 'server shutting down');
  }

  /** Sends a close frame; the socket is cut if the handshake does not finish within CLOSE_GRACE_MS. */
  close(code: number, reason: string): void {
    if (this.closingAt !== 0) return;
    this.closingAt = performance.now();
    // Notifications already counted as sent leave before the close frame (nothing may follow it).
    if (this.ws.readyState === WebSocket.OPEN) this.frames?.flush();
    else this.frames?.discard();
    this.waiting.length = 0;
    this.subscriptions.close();
    // The client's close frame has to be read.
    if (this.readingPaused) {
      this.readingPaused = false;
      this.ws.resume();
    }
    this.ws.close(code, reason);
  }

  /** Called by the module's sweep: idle timeout (not while it holds subscriptions), and sockets that do not finish closing. */
  sweep(now: number): void {
    this.notes?.flush();
    if (this.closingAt !== 0) {
      if (now - this.closingAt > CLOSE_GRACE_MS) this.ws.terminate();
    } else if (this.subscriptions.size === 0 && now - this.lastMessageAt > this.owner.config.idleTimeoutMs) {
      this.close(CLOSE_CODE.idle, 'idle timeout');
    }
  }

  /** Called every `heartbeatMs`: a socket that did not answer the previous ping is cut. */
  heartbeat(): void {
    if (this.closingAt !== 0) return;
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  private onMessage(data: Buffer): void {
    if (this.closingAt !== 0 || this.draining) return;
    this.lastMessageAt = performance.now();
    this.messages++;
    this.bytesIn += data.length;
    this.owner.stats.messagesIn++;
    if (this.inflight < this.owner.config.maxInflightPerConnection) {
      this.start(data);
      return;
    }
    // One read can hold many messages: those past the bound wait here, in order, and the
    // socket is not read until they are under way (so this holds at most one read's worth).
    this.waiting.push(data);
    if (!this.readingPaused) {
      this.readingPaused = true;
      this.ws.pause();
    }
  }

  private start(data: Buffer): void {
    this.inflight++;
    void this.handle(data);
  }

  private async handle(data: Buffer): Promise<void> {
    const { identity, owner } = this;
    const call: PipelineCall = {
      network: identity.network,
      timing: new StageTiming(),
      access: undefined,
      log: owner.log,
      requestId: undefined,
    };
    try {
      const tenancy = owner.tenancy();
      if (tenancy !== undefined) {
        const started = performance.now();
        const pending = authenticate(call, tenancy, identity.path, identity.headers, identity.ip, started);
        if (pending !== undefined) authenticated(call, await pending, started);
        // The key cannot change on a socket: its first access meters all its notifications.
        this.notes ??= call.access?.notificationMeter();
      }
      // The socket's session: its key (else its IP), narrowed by the handshake's X-Turnpike-Session.
      const consistency = owner.consistency();
      if (consistency !== undefined)
        call.consistency = consistency.open(identity.network, identity.headers, call.access, identity.ip);
      const body = await answerMessage(call, data, owner.maxBatchSize, this.subscriptions);
      if (body !== undefined) this.send(body);
      // After the answer that carries their ids (if the socket is closing, they were closed).
      this.subscriptions.startHeld(call);
    } catch (err) {
      const error = failure(call, err);
      if (error.code === 'ERR_AUTH_INVALID_KEY') this.close(CLOSE_CODE.keyRevoked, 'API key revoked');
      else this.send(errorResponse(null, error));
    } finally {
      this.settled();
    }
  }

  private settled(): void {
    this.inflight--;
    const next = this.closingAt === 0 && !this.draining ? this.waiting.shift() : undefined;
    if (next !== undefined) this.start(next);
    else if (this.readingPaused && this.closingAt === 0) {
      this.readingPaused = false;
      this.ws.resume();
    }
    if (this.draining && this.inflight === 0) this.close(CLOSE_CODE.goingAway, 'server shutting down');
  }

  /**
   * Sends an answer unless it would take the unsent bytes past the bound (then: close 4008).
   * False when nothing was sent.
   */
  private send(body: ResponseBody, notification = false): boolean {
    const { ws, owner } = this;
    if (this.closingAt !== 0 || ws.readyState !== WebSocket.OPEN) return false;
    // Frames waiting for the end of the tick go first: the socket's order is the order of sends.
    this.frames?.flush();
    const plain = plainBody(body);
    const length = typeof plain === 'string' ? Buffer.byteLength(plain) : plain.length;
    let buffered = ws.bufferedAmount;
    // Corked bytes count as unsent: past CORK_FLUSH_BYTES they go to the kernel now, so the bound
    // below sees only what the client has not taken (a reading client takes a block's worth).
    if (this.corked && buffered + length > CORK_FLUSH_BYTES) {
      this.transport?.uncork();
      this.transport?.cork();
      buffered = ws.bufferedAmount;
    }
    // An empty buffer takes any one answer, so a reading client is never closed for a big one.
    if (buffered !== 0 && buffered + length > owner.config.maxSendBufferBytes) {
      owner.stats.slowConsumersClosed++;
      this.close(CLOSE_CODE.slowConsumer, 'send buffer full');
      return false;
    }
    // A feed hands a block's notifications to every socket in one synchronous pass: holding a
    // socket's writes until the tick ends sends them in one writev instead of a syscall (and a
    // loopback/NIC wake-up) per notification: one per socket per block.
    if (notification && !this.corked && this.transport !== undefined) {
      this.corked = true;
      this.transport.cork();
      process.nextTick(this.uncork);
    }
    ws.send(plain, { binary: false });
    this.bytesOut += length;
    this.lastSentBytes = length;
    if (notification) {
      this.notifications++;
      owner.stats.notifications++;
    } else {
      this.answers++;
      owner.stats.messagesOut++;
    }
    const after = ws.bufferedAmount;
    if (after > owner.stats.peakSendBufferBytes) owner.stats.peakSendBufferBytes = after;
    return true;
  }

  /** A notification: framed here when the socket allows it (notification-frames.ts), else `send`. */
  private notify(prefix: Buffer, body: Buffer): boolean {
    const { frames } = this;
    if (frames === undefined) return this.send(Buffer.concat([prefix, body]), true);
    const { ws, owner } = this;
    if (this.closingAt !== 0 || ws.readyState !== WebSocket.OPEN) return false;
    const length = prefix.length + body.length;
    // As in send: waiting frames count as unsent and go to the kernel every CORK_FLUSH_BYTES.
    if (frames.pending + length > CORK_FLUSH_BYTES) frames.flush();
    const buffered = ws.bufferedAmount + frames.pending;
    if (buffered !== 0 && buffered + length > owner.config.maxSendBufferBytes) {
      owner.stats.slowConsumersClosed++;
      this.close(CLOSE_CODE.slowConsumer, 'send buffer full');
      return false;
    }
    frames.add(prefix, body);
    this.bytesOut += length;
    this.lastSentBytes = length;
    this.notifications++;
    owner.stats.notifications++;
    if (buffered + length > owner.stats.peakSendBufferBytes)
      owner.stats.peakSendBufferBytes = buffered + length;
    return true;
  }

  private onClose(code: number, reason: Buffer): void {
    const { identity } = this;
    this.frames?.discard();
    this.subscriptions.close();
    this.notes?.flush();
    this.owner.closed(this);
    this.owner.log.info(
      {
        network: identity.network.name,
        keyId: identity.keyId,
        ip: identity.ip,
        code,
        reason: reason.toString(),
        messages: this.messages,
        answers: this.answers,
        notifications: this.notifications,
        bytesIn: this.bytesIn,
        bytesOut: this.bytesOut,
        durationMs: Math.round(performance.now() - this.openedAt),
      },
      'websocket closed',
    );
  }
}

/** A message's bytes (`ws` gives a Buffer with the default binaryType). */
function bytesOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
