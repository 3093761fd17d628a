/**
 * Why an upstream call failed, as one word from a fixed set: a metric label and a log field.
 * Clients keep the coarser error code (ERR_UPSTREAM_CONNECT covers refused, reset, DNS and
 * TLS alike); operators need to tell a node that is down (refused) from one that is slow
 * (timeout), a proxy cutting connections (reset, closed) or a bad certificate (tls).
 */
import type { GatewayError } from '../errors/gateway-error.js';

export const FAILURE_REASONS = [
  /** Nothing listens on the port (ECONNREFUSED). */
  'refused',
  /** The connection was reset (ECONNRESET, EPIPE). */
  'reset',
  /** The upstream closed the connection before answering in full. */
  'closed',
  /** No connection within `pool.connectTimeoutMs`. */
  'connect_timeout',
  /** No answer within the attempt timeout. */
  'timeout',
  'dns',
  'tls',
  /** No route to the host or network. */
  'unreachable',
  'http_status',
  'rate_limited',
  'bad_response',
  'node_error',
  'too_large',
  /** Any other transport error. */
  'other',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

const BY_GATEWAY_CODE: Partial<Record<GatewayError['code'], FailureReason>> = {
  ERR_UPSTREAM_TIMEOUT: 'timeout',
  ERR_UPSTREAM_HTTP_STATUS: 'http_status',
  ERR_UPSTREAM_RATE_LIMITED: 'rate_limited',
  ERR_UPSTREAM_BAD_RESPONSE: 'bad_response',
  ERR_UPSTREAM_NODE_ERROR: 'node_error',
  ERR_UPSTREAM_RESPONSE_TOO_LARGE: 'too_large',
};

const BY_SYSTEM_CODE: Record<string, FailureReason> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'closed',
  UND_ERR_CLOSED: 'closed',
  ECONNABORTED: 'closed',
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  ETIMEDOUT: 'connect_timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  EPROTO: 'tls',
  CERT_HAS_EXPIRED: 'tls',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls',
};

/** The reason of a failed upstream call, from its GatewayError and the transport error it wraps. */
export function failureReason(error: GatewayError): FailureReason {
  const known = BY_GATEWAY_CODE[error.code];
  if (known !== undefined) return known;
  return transportReason(error.cause);
}

/** The reason of a raw transport error (undici's or Node's), following `cause` and AggregateErrors. */
export function transportReason(err: unknown): FailureReason {
  for (let depth = 0; depth < 4 && err !== null && typeof err === 'object'; depth++) {
    const { code, errors, cause } = err as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      const reason = BY_SYSTEM_CODE[code];
      if (reason !== undefined) return reason;
      if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return 'tls';
    }
    // Happy eyeballs (autoSelectFamily) reports every address's failure in an AggregateError.
    err = Array.isArray(errors) && errors.length > 0 ? errors[0] : cause;
  }
  return 'other';
}
