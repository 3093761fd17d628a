/** CORS: browsers may call the gateway from configured origins. */
import type { ServerConfig } from '../config/schema.js';
import type { HttpRequest, ResponseHeaders } from './exchange.js';

const ALLOWED_HEADERS =
  'content-type, content-encoding, authorization, x-api-key, target-service-id, x-request-id';

export function corsHeaders(
  config: ServerConfig['cors'],
  req: HttpRequest,
  headers: ResponseHeaders,
): boolean {
  const origin = req.headers.origin;
  if (!config.enabled || origin === undefined) return false;
  if (config.origins.includes('*')) headers['access-control-allow-origin'] = '*';
  else if (config.origins.includes(origin)) {
    headers['access-control-allow-origin'] = origin;
    headers.vary = 'Origin';
  } else return false;
  headers['access-control-expose-headers'] =
    'server-timing, x-request-id, x-turnpike-upstream, x-cache, ratelimit-limit, ratelimit-remaining, ratelimit-reset, retry-after';
  return true;
}

export function preflightHeaders(
  config: ServerConfig['cors'],
  req: HttpRequest,
  headers: ResponseHeaders,
): void {
  if (!corsHeaders(config, req, headers)) return;
  headers['access-control-allow-methods'] = 'POST, GET, OPTIONS';
  headers['access-control-allow-headers'] = req.headers['access-control-request-headers'] ?? ALLOWED_HEADERS;
  headers['access-control-max-age'] = String(config.maxAgeSeconds);
}
