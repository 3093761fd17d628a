/**
 * `eth_subscribe` / `eth_unsubscribe` of one socket, served from its network's subscription feed
 * (feed/subscription-feed.ts). A new subscription is held until the answer carrying its id has
 * been sent (`startHeld`), so the id always reaches the client before its first notification.
 * Notifications go through the session's bounded send path; the socket's close ends them all.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { ItemEntry } from '../network/pipeline-call.js';
import { spliceRawId } from '../rpc/raw-id.js';
import { errorResponse, resultResponse } from '../rpc/serialize.js';
import type { RpcRequest } from '../rpc/types.js';
import type { BlockPoint, FeedNotification } from './feed/feed-block.js';
import type { FeedSink, FeedSubscription } from './feed/feed-subscription.js';
import type { SubscriptionFeed } from './feed/subscription-feed.js';

/** What the subscriptions of a socket need from its session and module. */
export interface SubscriptionHost {
  /** The network's feed, or why it has none. */
  feed(): SubscriptionFeed | GatewayError;
  /** Sends one text frame through the bounded path; false when the socket cannot take it. */
  sendText(text: string): boolean;
  /**
   * Sends one notification whose payload is `prefix` + `body` (the subscription's and the
   * notification's shared bytes), metered: false as `sendText`, or the error the key's balance gives.
   */
  sendNotification(prefix: Buffer, body: Buffer): boolean | GatewayError;
  /** The counter of notifications sent for subscriptions of `kind`. */
  counterFor(kind: string): { sent: number };
  readonly maxSubscriptions: number;
}

/** An answer, with the outcome the meter records (`ok` or the error code). */
export interface SubscriptionEntry extends ItemEntry {
  readonly outcome: string;
}

const NO_ENTRY: SubscriptionEntry = { body: undefined, status: 204, outcome: 'ok' };

/**
 * A notification's payload after the subscription id: its JSON and the closing `}}`, encoded
 * once per fan-out. A block goes to every subscriber one notification at a time, so the last
 * one made is nearly always the one asked for next.
 */
let lastNote: FeedNotification | undefined;
let lastBody: Buffer = Buffer.alloc(0);

function bodyOf(note: FeedNotification): Buffer {
  if (note !== lastNote) {
    lastBody = Buffer.from(`${note.json}}}`);
    lastNote = note;
  }
  return lastBody;
}

/** Writes one subscription's notifications onto the socket. */
class SocketSink implements FeedSink {
  private id = '';
  /** `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"<id>","result":` */
  private prefix: Buffer = Buffer.alloc(0);
  private counter = { sent: 0 };
  /** Why the last notification was refused (credits, quota), told instead of the feed's reason. */
  private refusal: GatewayError | undefined;

  constructor(private readonly owner: SocketSubscriptions) {}

  /** Named once the feed has given the subscription its id (before it is started). */
  bind(id: string, kind: string): void {
    this.counter = this.owner.host.counterFor(kind);
    this.id = id;
    this.prefix = Buffer.from(
      `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"${id}","result":`,
    );
  }

  next(note: FeedNotification): boolean {
    const sent = this.owner.host.sendNotification(this.prefix, bodyOf(note));
    if (sent === true) {
      this.counter.sent++;
      return true;
    }
    if (sent !== false) this.refusal = sent;
    return false;
  }

  end(reason: GatewayError): void {
    this.owner.ended(this.id, this.refusal ?? reason);
  }
}

export class SocketSubscriptions {
  private readonly live = new Map<string, FeedSubscription>();
  /** Subscriptions whose answer is not sent yet, with the message (its call) that opened each. */
  private readonly held: { readonly message: object; readonly subscription: FeedSubscription }[] = [];
  private closed = false;

  constructor(readonly host: SubscriptionHost) {}

  get size(): number {
    return this.live.size;
  }

  /** Answers `eth_subscribe` for `message` (the subscription is held until `startHeld(message)`). */
  subscribe(request: RpcRequest, message: object): SubscriptionEntry {
    // A notification could never learn its id; a closing socket sends nothing more.
    if (request.id === undefined || this.closed) return NO_ENTRY;
    const subscription = this.open(request.params);
    if (subscription instanceof GatewayError) return answerError(request, subscription);
    this.live.set(subscription.id, subscription);
    this.held.push({ message, subscription });
    return answer(request, subscription.id);
  }

  /** Answers `eth_unsubscribe`: true when the id was one of this socket's subscriptions. */
  unsubscribe(request: RpcRequest): SubscriptionEntry {
    const id = Array.isArray(request.params) ? request.params[0] : undefined;
    const subscription = typeof id === 'string' ? this.live.get(id) : undefined;
    if (subscription !== undefined) {
      this.live.delete(subscription.id);
      subscription.cancel();
    }
    return request.id === undefined ? NO_ENTRY : answer(request, subscription !== undefined);
  }

  /** After the answer to `message` was sent: its subscriptions replay what they missed and go live. */
  startHeld(message: object): void {
    const { held } = this;
    if (held.length === 0) return;
    let kept = 0;
    for (const entry of held) {
      if (entry.message === message) entry.subscription.start();
      else held[kept++] = entry;
    }
    // A start can close the socket (its replay passed the send bound): close() emptied the list.
    held.length = this.closed ? 0 : kept;
  }

  /** The socket closed: every subscription ends quietly. */
  close(): void {
    this.closed = true;
    this.held.length = 0;
    for (const subscription of this.live.values()) subscription.cancel();
    this.live.clear();
  }

  /** @internal the feed ended one (refused send, gap, feed closed): the client is told. */
  ended(id: string, reason: GatewayError): void {
    if (!this.live.delete(id) || this.closed) return;
    const error = JSON.parse(errorResponse(null, reason)).error;
    this.host.sendText(
      JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: id, error } }),
    );
  }

  private open(params: unknown): FeedSubscription | GatewayError {
    const list = Array.isArray(params) ? params : [];
    const [kind, filter, options] = list;
    if (typeof kind !== 'string' || list.length > 3)
      return new GatewayError(
        'ERR_REALTIME_INVALID_SUBSCRIPTION',
        'eth_subscribe takes [kind, filter?, { resumeFrom }?]',
      );
    const resumeFrom = resumePoint(options);
    if (resumeFrom instanceof GatewayError) return resumeFrom;
    const { maxSubscriptions } = this.host;
    if (this.live.size >= maxSubscriptions)
      return new GatewayError(
        'ERR_REALTIME_SUBSCRIPTION_LIMIT',
        `this connection holds ${maxSubscriptions} subscriptions already`,
        { data: { limit: maxSubscriptions } },
      );
    const feed = this.host.feed();
    if (feed instanceof GatewayError) return feed;
    const sink = new SocketSink(this);
    const subscription = feed.subscribe(kind, filter ?? undefined, sink, resumeFrom);
    if (subscription instanceof GatewayError) return subscription;
    sink.bind(subscription.id, subscription.kind);
    return subscription;
  }
}

/** The third parameter, `{ "resumeFrom": { "number": "0x…", "hash": "0x…" } }` (docs/subscriptions.md). */
function resumePoint(options: unknown): BlockPoint | undefined | GatewayError {
  if (options === undefined || options === null) return undefined;
  const from = typeof options === 'object' ? (options as { resumeFrom?: unknown }).resumeFrom : undefined;
  const point = typeof from === 'object' && from !== null ? (from as Record<string, unknown>) : undefined;
  const { number, hash } = point ?? {};
  if (
    typeof number !== 'string' ||
    !number.startsWith('0x') ||
    number.length < 3 ||
    number.length > 18 ||
    typeof hash !== 'string' ||
    hash.length !== 66 ||
    !hash.startsWith('0x')
  )
    return new GatewayError(
      'ERR_REALTIME_INVALID_SUBSCRIPTION',
      'the third eth_subscribe parameter is { "resumeFrom": { "number": "0x…", "hash": "0x…" } }',
    );
  const height = Number.parseInt(number, 16);
  if (!Number.isSafeInteger(height) || height.toString(16) !== number.slice(2).toLowerCase())
    return new GatewayError('ERR_REALTIME_INVALID_SUBSCRIPTION', 'resumeFrom.number is not a hex quantity');
  return { number: height, hash };
}

function answer(request: RpcRequest, result: unknown): SubscriptionEntry {
  const body = resultResponse(request.id ?? null, result);
  return {
    body: request.rawId === undefined ? body : spliceRawId(body, request.rawId),
    status: 200,
    outcome: 'ok',
  };
}

/** The error answer to a subscription request (a notification gets none). */
export function answerError(request: RpcRequest, error: GatewayError): SubscriptionEntry {
  if (request.id === undefined) return { ...NO_ENTRY, outcome: error.code };
  const body = errorResponse(request.id, error);
  return {
    body: request.rawId === undefined ? body : spliceRawId(body, request.rawId),
    status: error.httpStatus,
    outcome: error.code,
  };
}
