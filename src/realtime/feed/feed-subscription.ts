/**
 * One subscription of the feed and its sink. A subscription is created held: the transport
 * answers `eth_subscribe` with its id first, then calls `start()`, which replays what the
 * subscriber missed (from its resume point, or from the block that was the tip when it
 * subscribed) and turns it live. A sink that refuses or throws ends only its own subscription.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { BlockPoint, FeedNotification } from './feed-block.js';
import type { LogFilter } from './log-filter.js';

export type SubscriptionKind = 'newHeads' | 'logs' | 'newPendingTransactions';

/** Where notifications go (the transport's socket writer). Called synchronously, in order. */
export interface FeedSink {
  /** One notification; returning `false` (or throwing) refuses it and ends the subscription. */
  next(notification: FeedNotification): boolean | undefined;
  /** The subscription ended without `unsubscribe`: a refused notification, a gap, the feed closing. */
  end?(reason: GatewayError): void;
}

/** What a subscription asks of the feed that owns it. */
export interface SubscriptionOwner {
  activate(subscription: FeedSubscription): void;
  drop(subscription: FeedSubscription): void;
}

export type SubscriptionState = 'held' | 'live' | 'ended';

export class FeedSubscription {
  private current: SubscriptionState = 'held';
  private delivered = 0;

  constructor(
    /** Turnpike's own id (`0x` and 32 hex digits), not an upstream's. */
    readonly id: string,
    readonly kind: SubscriptionKind,
    /** The matcher of a `logs` subscription; undefined for `newHeads`. */
    readonly filter: LogFilter | undefined,
    readonly sink: FeedSink,
    /** The last block the subscriber has; undefined: everything the feed holds is new to it. */
    readonly from: BlockPoint | undefined,
    private readonly owner: SubscriptionOwner,
  ) {}

  get state(): SubscriptionState {
    return this.current;
  }

  /** Notifications handed to the sink so far. */
  get notifications(): number {
    return this.delivered;
  }

  /** Replays what was missed, then delivers live. Call once the id has been sent. */
  start(): void {
    if (this.current === 'held') this.owner.activate(this);
  }

  /** @internal the feed turns it live before replaying. */
  markLive(): void {
    if (this.current === 'held') this.current = 'live';
  }

  /** Hands one notification to the sink; false when the subscription is not (or no longer) live. */
  deliver(notification: FeedNotification): boolean {
    if (this.current !== 'live') return false;
    let accepted: boolean | undefined;
    let cause: unknown;
    try {
      accepted = this.sink.next(notification);
    } catch (err) {
      accepted = false;
      cause = err;
    }
    if (accepted === false) {
      const why = cause === undefined ? 'refused a notification' : `threw (${String(cause)})`;
      this.end(
        new GatewayError('ERR_REALTIME_SINK_REFUSED', `subscription ${this.id}: the sink ${why}`, {
          cause,
        }),
      );
      return false;
    }
    this.delivered++;
    return true;
  }

  /** Ends it with a reason the sink is told (no-op when already ended). */
  end(reason: GatewayError): void {
    if (this.current === 'ended') return;
    this.current = 'ended';
    this.owner.drop(this);
    try {
      this.sink.end?.(reason);
    } catch {
      // The sink is gone either way.
    }
  }

  /** Ends it quietly (`eth_unsubscribe`). */
  cancel(): void {
    if (this.current === 'ended') return;
    this.current = 'ended';
    this.owner.drop(this);
  }
}
