/**
 * The realtime module's plain counters: the socket path bumps integers, metrics read them at
 * scrape time (realtime-metrics.ts) and tests read them directly.
 */
export class RealtimeStats {
  /** Sockets open now. */
  connections = 0;
  /** JSON-RPC messages received from clients. */
  messagesIn = 0;
  /** Answers sent to clients. */
  messagesOut = 0;
  /** `eth_subscription` notifications sent to clients. */
  notifications = 0;
  /** Subscriptions held now, by kind (read from the feeds at scrape time). */
  subscriptions: () => { readonly newHeads: number; readonly logs: number } = () => ({
    newHeads: 0,
    logs: 0,
  });
  /** Sockets closed with 4008 because their send buffer passed `maxSendBufferBytes`. */
  slowConsumersClosed = 0;
  /** The most unsent answer bytes any socket has held (the bound the slow-consumer close keeps). */
  peakSendBufferBytes = 0;
  /**
   * A feed published a block: `seconds` from the tracker's step that showed it to its last
   * notification handed to the sockets (set by realtime-metrics.ts to its histogram).
   */
  feedPublished: (network: string, seconds: number) => void = () => {};
  /** Handshakes refused, by error code. */
  readonly refused = new Map<string, number>();

  refuse(code: string): void {
    this.refused.set(code, (this.refused.get(code) ?? 0) + 1);
  }
}
