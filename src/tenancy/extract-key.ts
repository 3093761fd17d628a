/**
 * Where a client puts its API key: the path (`/{network}/{apiKey}`), an `X-Api-Key` header, or
 * `Authorization: Bearer <key>`. The path wins, then X-Api-Key, then Authorization; a request
 * that carries none is keyless.
 */
import type { RequestHeaders } from '../http/exchange.js';

const BEARER = /^Bearer[ \t]+(\S+)\s*$/i;

/** `path` is the request path without the query string, e.g. `/eth/tp_abc…`. */
export function extractApiKey(path: string, headers: RequestHeaders): string | undefined {
  const slash = path.indexOf('/', 1);
  if (slash !== -1) {
    const end = path.indexOf('/', slash + 1);
    const segment = end === -1 ? path.slice(slash + 1) : path.slice(slash + 1, end);
    if (segment !== '') return segment;
  }
  const header = headers['x-api-key'];
  if (header !== undefined && header !== '') return header.trim();
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    if (match !== null) return match[1];
  }
  return undefined;
}
