/** The request path: ingress, pipeline and failsafe, consistency directives, upstream attempts, and start-up. */
import type { ErrorCodeSpec } from './error-code-spec.js';

export const REQUEST_CODES = {
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
