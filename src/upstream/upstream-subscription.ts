/**
 * One `eth_subscribe` held on one upstream's WebSocket endpoint (`wsUrl`), kept alive: it
 * reconnects with bounded, jittered backoff when the socket drops, the handshake fails or the
 * node refuses the subscription, and a socket that stops answering pings is cut. Only what the
 * owner asks for is taken from a notification (`pick`); the message size is bounded by `ws`.
 * It delivers data to its owner and decides nothing: what a notification is worth is the owner's
 * call (a head only nudges the chain tracker; a pending hash is passed on as a hint).
 */
import WebSocket from 'ws';

export interface UpstreamSubscriptionOptions<T> {
  /** `ws://` or `wss://`; user info is sent as HTTP Basic auth (by `ws`). */
  readonly url: string;
  /** Sent at the handshake (the upstream's configured headers). */
  readonly headers: Readonly<Record<string, string>>;
  /** `eth_subscribe` params, e.g. `['newHeads']`. */
  readonly params: readonly unknown[];
  /** Takes what is needed from a notification's `result`; undefined drops it (malformed). */
  readonly pick: (result: unknown) => T | undefined;
  readonly onValue: (value: T) => void;
  /** The subscription is confirmed (true) or the socket is gone (false, with why). */
  readonly onState?: (alive: boolean, why?: string) => void;
  /** @default UPSTREAM_WS_MAX_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
  /** First pause before reconnecting; doubles up to `maxBackoffMs`, each jittered by ±50 %. @default 250 */
  readonly backoffMs?: number;
  /** @default 30000 */
  readonly maxBackoffMs?: number;
  /** Handshake and subscribe answer timeout. @default 10000 */
  readonly connectTimeoutMs?: number;
  /** Ping interval; no pong by the next ping cuts the socket. @default 15000 */
  readonly pingMs?: number;
  /** @default Math.random */
  readonly random?: () => number;
}

/** Largest message read from an upstream socket: a block header is a few KiB even on chains with large extraData. */
export const UPSTREAM_WS_MAX_MESSAGE_BYTES = 1024 * 1024;

const SUBSCRIBE_ID = 1;

export interface UpstreamSubscriptionStats {
  /** Sockets opened (the first and every reconnect). */
  readonly connects: number;
  /** Subscriptions confirmed by the node. */
  readonly subscribed: number;
  /** Sockets lost or refused after they were asked for. */
  readonly drops: number;
  readonly values: number;
  /** Messages that were not a notification of ours or whose result `pick` refused. */
  readonly ignored: number;
}

export class UpstreamSubscription<T> {
  private socket: WebSocket | undefined;
  private running = false;
  private confirmed = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private awaitingPong = false;
  private subscriptionId: string | undefined;
  /** What `onState` was last told: each change once, a socket that never comes up once too. */
  private reported: boolean | undefined;
  private readonly counts = { connects: 0, subscribed: 0, drops: 0, values: 0, ignored: 0 };

  constructor(private readonly options: UpstreamSubscriptionOptions<T>) {}

  /** Whether the node has confirmed the subscription on the socket open now. */
  get alive(): boolean {
    return this.confirmed;
  }

  get stats(): UpstreamSubscriptionStats {
    return { ...this.counts };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    this.reported = undefined;
    this.connect();
  }

  /** Closes the socket and stops reconnecting. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.teardown('stopped');
  }

  /** The pause before reconnect attempt `attempt` (1-based): doubling, capped, jittered ±50 %. */
  backoff(attempt: number): number {
    const first = this.options.backoffMs ?? 250;
    const cap = this.options.maxBackoffMs ?? 30_000;
    const base = Math.min(cap, first * 2 ** Math.min(attempt - 1, 30));
    const random = this.options.random ?? Math.random;
    return Math.round(base * (0.5 + random()));
  }

  private connect(): void {
    this.counts.connects++;
    const { options } = this;
    const timeout = options.connectTimeoutMs ?? 10_000;
    const ws = new WebSocket(options.url, {
      headers: { ...options.headers },
      maxPayload: options.maxMessageBytes ?? UPSTREAM_WS_MAX_MESSAGE_BYTES,
      handshakeTimeout: timeout,
      perMessageDeflate: false,
    });
    this.socket = ws;
    // Covers the subscribe answer too: a node that takes the socket but never confirms is left.
    this.connectTimer = setTimeout(
      () => this.drop(ws, 'no subscription within the connect timeout'),
      timeout,
    );
    this.connectTimer.unref();
    ws.on('open', () => {
      ws.send(
        JSON.stringify({ jsonrpc: '2.0', id: SUBSCRIBE_ID, method: 'eth_subscribe', params: options.params }),
      );
    });
    ws.on('message', (data: WebSocket.RawData) => this.read(ws, data));
    ws.on('pong', () => {
      this.awaitingPong = false;
    });
    ws.on('error', (err) => this.drop(ws, err.message));
    ws.on('close', (code) => this.drop(ws, `closed (${code})`));
  }

  private read(ws: WebSocket, data: WebSocket.RawData): void {
    if (ws !== this.socket) return;
    let message: {
      id?: unknown;
      result?: unknown;
      error?: unknown;
      params?: { subscription?: unknown; result?: unknown };
    };
    try {
      message = JSON.parse(data.toString());
    } catch {
      this.counts.ignored++;
      return;
    }
    if (!this.confirmed && message?.id === SUBSCRIBE_ID) {
      if (typeof message.result !== 'string') {
        this.drop(ws, `the node refused eth_subscribe ${JSON.stringify(this.options.params)}`);
        return;
      }
      this.subscriptionId = message.result;
      this.confirmed = true;
      this.counts.subscribed++;
      clearTimeout(this.connectTimer);
      this.startPings(ws);
      this.tell(true);
      return;
    }
    const params = message?.params;
    if (!this.confirmed || params === undefined || params.subscription !== this.subscriptionId) {
      this.counts.ignored++;
      return;
    }
    const value = this.options.pick(params.result);
    if (value === undefined) {
      this.counts.ignored++;
      return;
    }
    // A socket that delivers is a good one: the next drop starts the backoff from the beginning.
    this.attempt = 0;
    this.counts.values++;
    this.options.onValue(value);
  }

  private startPings(ws: WebSocket): void {
    const every = this.options.pingMs ?? 15_000;
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.drop(ws, 'no pong from the node');
        return;
      }
      this.awaitingPong = true;
      ws.ping();
    }, every);
    this.pingTimer.unref();
  }

  /** The socket is lost (or refused): close it and, while running, reconnect after the backoff. */
  private drop(ws: WebSocket, why: string): void {
    if (ws !== this.socket) return;
    this.counts.drops++;
    this.teardown(why);
    if (!this.running) return;
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.running) this.connect();
    }, this.backoff(this.attempt));
    this.retryTimer.unref();
  }

  private teardown(why: string): void {
    const ws = this.socket;
    this.socket = undefined;
    clearTimeout(this.connectTimer);
    clearInterval(this.pingTimer);
    this.awaitingPong = false;
    this.subscriptionId = undefined;
    this.confirmed = false;
    if (ws !== undefined) {
      ws.removeAllListeners('message');
      ws.on('error', () => undefined);
      ws.terminate();
    }
    if (this.running) this.tell(false, why);
  }

  private tell(alive: boolean, why?: string): void {
    if (this.reported === alive) return;
    this.reported = alive;
    this.options.onState?.(alive, why);
  }
}
