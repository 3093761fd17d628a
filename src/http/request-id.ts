/** Request ids: the client's `X-Request-Id` when it is sane, else a cheap per-process counter. */
import type { HttpRequest } from './exchange.js';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const PREFIX = `${process.pid.toString(36)}-`;
let counter = 0;

export function requestId(req: HttpRequest): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && SAFE_ID.test(given)) return given;
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return PREFIX + counter.toString(36);
}
