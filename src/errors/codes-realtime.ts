/** Realtime: the WebSocket handshake and subscriptions. */
import type { ErrorCodeSpec } from './error-code-spec.js';

export const REALTIME_CODES = {
  // Realtime: the WebSocket handshake.
  ERR_REALTIME_CONNECTION_LIMIT: {
    rpc: -32005,
    http: 429,
    retry: 'none',
    summary:
      'The API key or client IP holds `realtime.maxConnectionsPerKey` / `maxConnectionsPerIp` sockets.',
  },
  ERR_REALTIME_DRAINING: {
    rpc: -32005,
    http: 503,
    retry: 'none',
    summary: 'The worker is shutting down and takes no new WebSocket connections.',
  },
  // Realtime: subscriptions (eth_subscribe).
  ERR_REALTIME_INVALID_SUBSCRIPTION: {
    rpc: -32602,
    http: 400,
    retry: 'none',
    summary:
      'eth_subscribe names an unsupported kind or parameters, or its filter is not a valid logs filter.',
  },
  ERR_REALTIME_SUBSCRIPTION_LIMIT: {
    rpc: -32005,
    http: 429,
    retry: 'none',
    summary: 'eth_subscribe on a socket that holds realtime.maxSubscriptionsPerConnection already.',
  },
  ERR_REALTIME_SUBSCRIPTIONS_UNAVAILABLE: {
    rpc: -32601,
    http: 501,
    retry: 'none',
    summary: 'newPendingTransactions on a network none of whose upstreams has a wsUrl.',
  },
  ERR_REALTIME_RESUME_OUT_OF_WINDOW: {
    rpc: -32000,
    http: 410,
    retry: 'none',
    summary: 'The resume point is older than the blocks the gateway keeps for resuming.',
  },
  ERR_REALTIME_RESUME_UNKNOWN_BLOCK: {
    rpc: -32000,
    http: 404,
    retry: 'none',
    summary: 'The resume point names a block this gateway never delivered.',
  },
  ERR_REALTIME_SINK_REFUSED: {
    rpc: -32000,
    http: 503,
    retry: 'none',
    summary: 'The subscription ended: its connection refused a notification.',
  },
  ERR_REALTIME_FEED_GAP: {
    rpc: -32000,
    http: 503,
    retry: 'none',
    summary: 'The subscription ended: the head moved further than the feed can backfill.',
  },
  ERR_REALTIME_FEED_CLOSED: {
    rpc: -32000,
    http: 503,
    retry: 'none',
    summary: 'The subscription ended: the gateway is shutting down.',
  },
} as const satisfies Record<string, ErrorCodeSpec>;
