/** The `realtime` section: JSON-RPC over WebSocket on the HTTP port (docs/websocket.md). */
import { z } from 'zod';
import { flag, positiveInt } from './primitives.js';

export const realtimeSchema = z.strictObject({
  /** Take WebSocket handshakes on `/{network}` and `/{network}/{apiKey}`. */
  enabled: flag().default(true),
  /** Open sockets one API key may hold in this process (refused with 429 beyond). */
  maxConnectionsPerKey: positiveInt.default(1_000),
  /** Open sockets one client IP may hold in this process (refused with 429 beyond). */
  maxConnectionsPerIp: positiveInt.default(1_000),
  /** Largest message a client may send; a bigger one closes the socket with 1009. */
  maxMessageBytes: positiveInt.default(1024 * 1024),
  /** Requests of one socket worked on at once; past it the socket is not read until one answers. */
  maxInflightPerConnection: positiveInt.default(64),
  /** Subscriptions one socket may hold at once (`eth_subscribe` past it: ERR_REALTIME_SUBSCRIPTION_LIMIT). */
  maxSubscriptionsPerConnection: positiveInt.default(100),
  /** Answer bytes a socket may have unsent; past it the socket is closed with 4008. */
  maxSendBufferBytes: positiveInt.default(4 * 1024 * 1024),
  /** How often a ping is sent; a socket that has not answered the previous one is cut. */
  heartbeatMs: positiveInt.default(30_000),
  /** A socket with no message from its client for this long is closed with 1000. */
  idleTimeoutMs: positiveInt.default(300_000),
  /** Offer permessage-deflate (RFC 7692) to clients that ask for it. */
  perMessageDeflate: flag().default(false),
});
