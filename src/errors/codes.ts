/**
 * The one table of error codes. Every code is documented in docs/errors.md (a test checks it).
 * `retry` says how far a retry may go: `none` (the request itself is wrong, or it is final),
 * `other` (try a different upstream).
 */
export type RetryScope = 'none' | 'other';

export interface ErrorCodeSpec {
  /** JSON-RPC error code sent to the client. */
  readonly rpc: number;
  /** HTTP status of a response that carries only this error. */
  readonly http: number;
  readonly retry: RetryScope;
  readonly summary: string;
}

export const ERROR_CODES = {
  // Ingress: the request itself is wrong.
  ERR_PARSE: { rpc: -32700, http: 400, retry: 'none', summary: 'Body is not valid JSON.' },
  ERR_INVALID_REQUEST: {
    rpc: -32600,
    http: 400,
    retry: 'none',
    summary: 'Not a valid JSON-RPC 2.0 request object, or an empty batch.',
  },
  ERR_BATCH_TOO_LARGE: {
    rpc: -32600,
    http: 400,
    retry: 'none',
    summary: 'Batch has more items than `server.maxBatchSize`.',
  },
  ERR_REQUEST_TOO_DEEP: {
    rpc: -32600,
    http: 400,
    retry: 'none',
    summary: 'A request object nests objects and arrays deeper than 128 levels.',
  },
  ERR_BODY_TOO_LARGE: {
    rpc: -32600,
    http: 413,
    retry: 'none',
    summary: 'Body (after decompression) is larger than `server.maxBodyBytes`.',
  },
  ERR_UNSUPPORTED_ENCODING: {
    rpc: -32700,
    http: 415,
    retry: 'none',
    summary: 'Content-Encoding is not gzip, deflate, br or identity, or the body does not decode.',
  },
  ERR_UNSUPPORTED_MEDIA_TYPE: {
    rpc: -32700,
    http: 415,
    retry: 'none',
    summary:
      'Content-Type is set and is neither JSON (application/json, *+json) nor the form type curl sends by default.',
  },
  ERR_HTTP_METHOD: {
    rpc: -32600,
    http: 405,
    retry: 'none',
    summary: 'The route does not take this HTTP method (network routes take POST and OPTIONS).',
  },
  ERR_ROUTE_NOT_FOUND: { rpc: -32601, http: 404, retry: 'none', summary: 'No such path.' },
  ERR_NETWORK_NOT_FOUND: {
    rpc: -32004,
    http: 404,
    retry: 'none',
    summary: 'The path names a network that is not configured.',
  },
  ERR_REQUEST_TIMEOUT: {
    rpc: -32603,
    http: 408,
    retry: 'none',
    summary: 'The client did not send its headers or body within the server timeouts.',
  },
  ERR_HEADERS_TOO_LARGE: {
    rpc: -32600,
    http: 431,
    retry: 'none',
    summary: 'Request headers are larger than `server.maxHeaderBytes`.',
  },
  ERR_MALFORMED_HTTP: {
    rpc: -32600,
    http: 400,
    retry: 'none',
    summary: 'The bytes received are not a valid HTTP/1.1 request.',
  },
  ERR_SERVER_BUSY: {
    rpc: -32005,
    http: 503,
    retry: 'none',
    summary: 'The worker already buffers `server.maxBufferedRequestBytes` of partly received requests.',
  },
  ERR_METHOD_NOT_SUPPORTED: {
    rpc: -32601,
    http: 200,
    retry: 'none',
    summary: 'The gateway does not proxy this method (for example subscriptions over HTTP).',
  },
  ERR_LOGS_RANGE_TOO_LARGE: {
    rpc: -32005,
    http: 400,
    retry: 'none',
    summary: 'An eth_getLogs range would need more than `logSplit.maxParts` parts to fit the upstreams.',
  },
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
  // Tenancy: who may call what, and how much.
  ERR_AUTH_MISSING_KEY: {
    rpc: -32001,
    http: 401,
    retry: 'none',
    summary: 'The network requires an API key and the request carries none.',
  },
  ERR_AUTH_INVALID_KEY: {
    rpc: -32001,
    http: 401,
    retry: 'none',
    summary: 'The API key is unknown, revoked or expired.',
  },
  ERR_NETWORK_NOT_ALLOWED: {
    rpc: -32003,
    http: 403,
    retry: 'none',
    summary: "The key's plan does not include this network.",
  },
  ERR_INVALID_METHOD_NAME: {
    rpc: -32601,
    http: 400,
    retry: 'none',
    summary: 'The method name is not 1–64 characters of A–Z, a–z, 0–9 and _, so no method has it.',
  },
  ERR_METHOD_NOT_ALLOWED: {
    rpc: -32003,
    http: 403,
    retry: 'none',
    summary: "The key's plan does not allow this method.",
  },
  ERR_CREDITS_EXHAUSTED: {
    rpc: -32002,
    http: 402,
    retry: 'none',
    summary: "The project's prepaid credits cannot pay for the request.",
  },
  ERR_QUOTA_EXCEEDED: {
    rpc: -32002,
    http: 402,
    retry: 'none',
    summary: "The project's monthly quota is used up.",
  },
  ERR_RATE_LIMITED: {
    rpc: -32005,
    http: 429,
    retry: 'none',
    summary: 'The key (or client IP) sends faster than its plan allows; see Retry-After.',
  },
  ERR_TENANCY_UNAVAILABLE: {
    rpc: -32603,
    http: 503,
    retry: 'none',
    summary: 'The key could not be checked because the database or Redis did not answer.',
  },
  // Admin API.
  ERR_ADMIN_UNAUTHORIZED: {
    rpc: -32001,
    http: 401,
    retry: 'none',
    summary: 'The admin API needs `Authorization: Bearer <admin token>`.',
  },
  ERR_DASHBOARD_UNAUTHORIZED: {
    rpc: -32001,
    http: 401,
    retry: 'none',
    summary: 'The dashboard API needs a session: sign in at /dashboard with the admin token or an API key.',
  },
  ERR_DASHBOARD_INVALID: {
    rpc: -32602,
    http: 400,
    retry: 'none',
    summary:
      'The dashboard sign-in form was not sent as a form with a token field, or a dashboard API query is invalid.',
  },
  ERR_DASHBOARD_FORBIDDEN: {
    rpc: -32003,
    http: 403,
    retry: 'none',
    summary: "A project's dashboard session asked for another project's data, or for an admin-only view.",
  },
  ERR_DASHBOARD_LOCKED: {
    rpc: -32005,
    http: 429,
    retry: 'none',
    summary: 'Too many failed dashboard sign-ins from this address: it is locked out for a while.',
  },
  ERR_DASHBOARD_NOT_FOUND: {
    rpc: -32004,
    http: 404,
    retry: 'none',
    summary: 'No project or transfer the dashboard session may see matches.',
  },
  ERR_DASHBOARD_RELAYER_OFF: {
    rpc: -32004,
    http: 404,
    retry: 'none',
    summary: 'The dashboard was asked for transfers, but the relayer is off on this gateway.',
  },
  ERR_DASHBOARD_BUSY: {
    rpc: -32005,
    http: 503,
    retry: 'none',
    summary: 'This worker already serves its maximum of live dashboard streams.',
  },
  ERR_ADMIN_INVALID: {
    rpc: -32602,
    http: 400,
    retry: 'none',
    summary: 'The admin request body or query is invalid; `data.issues` lists each field.',
  },
  ERR_ADMIN_NOT_FOUND: {
    rpc: -32004,
    http: 404,
    retry: 'none',
    summary: 'No such project, plan or key.',
  },
  ERR_ADMIN_CONFLICT: {
    rpc: -32009,
    http: 409,
    retry: 'none',
    summary: 'The change conflicts with existing data (a duplicate name, a plan still in use).',
  },
  // Relayer: transfers API and engine.
  ERR_RELAYER_INVALID: {
    rpc: -32602,
    http: 400,
    retry: 'none',
    summary: 'A transfer request is invalid; `data.issues` lists each field with its path.',
  },
  ERR_RELAYER_IDEMPOTENCY_CONFLICT: {
    rpc: -32009,
    http: 409,
    retry: 'none',
    summary: 'The idempotency key was used before with another body.',
  },
  ERR_RELAYER_NOT_FOUND: {
    rpc: -32004,
    http: 404,
    retry: 'none',
    summary: 'No transfer, job or transaction with that id or hash (for this project).',
  },
  ERR_RELAYER_QUEUE_FULL: {
    rpc: -32005,
    http: 503,
    retry: 'none',
    summary: 'The relayer queue is at `relayer.maxQueueDepth`; retry after `Retry-After`.',
  },
  ERR_RELAYER_WAIT_CAPACITY: {
    rpc: -32005,
    http: 503,
    retry: 'none',
    summary: 'Too many `?wait=` requests wait in this process (`relayer.wait.maxWaiters`); nothing stored.',
  },
  ERR_RELAYER_TRANSFER_FAILED: {
    rpc: -32603,
    http: 422,
    retry: 'none',
    summary: 'A `?wait=` request ended: a transfer of it failed; the answer lists each outcome.',
  },
  ERR_RELAYER_UNAVAILABLE: {
    rpc: -32603,
    http: 503,
    retry: 'none',
    summary: 'The relayer could not store the request (database down); nothing was accepted.',
  },
  ERR_RELAYER_TRANSFER_REVERTED: {
    rpc: -32603,
    http: 500,
    retry: 'none',
    summary: 'A transfer failed: alone in its batch, it reverted on chain or in gas estimation.',
  },
  ERR_RELAYER_PREFLIGHT: {
    rpc: -32603,
    http: 500,
    retry: 'none',
    summary: 'A transfer failed a pre-flight check that cannot pass later (the token is no ERC-20 contract).',
  },
  ERR_RELAYER_INSUFFICIENT_FUNDS: {
    rpc: -32603,
    http: 500,
    retry: 'none',
    summary: 'A transfer failed: no signing key could pay it for `relayer.unfundedTimeoutMs`.',
  },
  ERR_RELAYER_NONCE_GAP: {
    rpc: -32603,
    http: 500,
    retry: 'none',
    summary: 'A signing key had a nonce no stored transaction could fill; a no-op filled it.',
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
  // Pipeline / failsafe.
  ERR_DEADLINE_EXCEEDED: {
    rpc: -32603,
    http: 504,
    retry: 'none',
    summary: 'The total request deadline passed before any upstream answered.',
  },
  ERR_NO_UPSTREAM: {
    rpc: -32603,
    http: 503,
    retry: 'none',
    summary: 'No upstream of the network is available (all excluded, unhealthy or breaker open).',
  },
  ERR_NO_CONSISTENT_UPSTREAM: {
    rpc: -32603,
    http: 503,
    retry: 'none',
    summary:
      "No available upstream meets the request's directives (`X-Turnpike-Upstream`, `X-Turnpike-Min-Block`, `X-Turnpike-Max-Lag`).",
  },
  // Consistency directives (docs/consistency.md).
  ERR_DIRECTIVE_INVALID: {
    rpc: -32602,
    http: 400,
    retry: 'none',
    summary: 'An `X-Turnpike-*` directive header has a value Turnpike cannot use.',
  },
  ERR_DIRECTIVE_NOT_ALLOWED: {
    rpc: -32003,
    http: 403,
    retry: 'none',
    summary: "The key's plan (or keyless access) may not use this directive header.",
  },
  // Upstream attempt failures (retryable on another upstream).
  ERR_UPSTREAM_TIMEOUT: {
    rpc: -32603,
    http: 504,
    retry: 'other',
    summary: 'One upstream attempt exceeded its per-attempt timeout.',
  },
  ERR_UPSTREAM_CONNECT: {
    rpc: -32603,
    http: 502,
    retry: 'other',
    summary: 'Could not connect to the upstream, or the connection was reset.',
  },
  ERR_UPSTREAM_HTTP_STATUS: {
    rpc: -32603,
    http: 502,
    retry: 'other',
    summary: 'The upstream answered with an HTTP 5xx or another unexpected status.',
  },
  ERR_UPSTREAM_RATE_LIMITED: {
    rpc: -32005,
    http: 429,
    retry: 'other',
    summary: 'The upstream answered HTTP 429 or a provider "limit exceeded" error.',
  },
  ERR_UPSTREAM_BAD_RESPONSE: {
    rpc: -32603,
    http: 502,
    retry: 'other',
    summary: 'The upstream answered with bytes that are not a JSON-RPC response.',
  },
  ERR_UPSTREAM_NODE_ERROR: {
    rpc: -32603,
    http: 502,
    retry: 'other',
    summary: 'The upstream answered a JSON-RPC error that means the node, not the request, failed.',
  },
  ERR_UPSTREAM_RESPONSE_TOO_LARGE: {
    rpc: -32603,
    http: 502,
    retry: 'none',
    summary: 'The upstream answer exceeded maxResponseBytes; another node would send the same.',
  },
  ERR_INTERNAL: { rpc: -32603, http: 500, retry: 'none', summary: 'A bug in the gateway; it is logged.' },
  // Start-up.
  ERR_CONFIG_INVALID: {
    rpc: -32603,
    http: 500,
    retry: 'none',
    summary: 'The configuration does not match the schema; every mistake is listed with its path.',
  },
  ERR_STORE_OPEN: {
    rpc: -32603,
    http: 500,
    retry: 'none',
    summary: 'The SQLite database file or its folder cannot be created or opened; names the path and why.',
  },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
