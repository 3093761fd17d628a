/** The errors the HTTP/1.1 layer raises, in the gateway's one error model. */
import { GatewayError } from '../../errors/gateway-error.js';

export function malformed(reason: string): GatewayError {
  return new GatewayError('ERR_MALFORMED_HTTP', `malformed HTTP request: ${reason}`);
}

export function bodyTooLarge(maxBytes: number): GatewayError {
  return new GatewayError('ERR_BODY_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, {
    data: { limit: maxBytes },
  });
}

export function headersTooLarge(): GatewayError {
  return new GatewayError('ERR_HEADERS_TOO_LARGE', 'request headers are too large');
}

export function requestTimeout(): GatewayError {
  return new GatewayError('ERR_REQUEST_TIMEOUT', 'the request was not received in time');
}

/** The worker already buffers `server.maxBufferedRequestBytes` of partly received requests. */
export function serverBusy(): GatewayError {
  return new GatewayError('ERR_SERVER_BUSY', 'the server is buffering too many request bytes; retry later');
}
