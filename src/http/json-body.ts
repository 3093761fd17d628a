/**
 * JSON bodies of the REST APIs (admin, relayer): parsed once, after a linear scan refuses an
 * object wider than any real request, whose parsing and validation would cost the worker far
 * more than sending it cost the client.
 */
import type { GatewayError } from '../errors/gateway-error.js';
import type { Issue } from '../errors/issues.js';
import { widestObject } from '../rpc/item-scan.js';
import { isSpace } from '../rpc/json-bytes.js';

/** Most members one object of a REST body may have (`computeUnits` maps hold a few hundred). */
export const MAX_OBJECT_FIELDS = 1000;

/** Whether the body holds nothing but JSON whitespace. */
export function isBlank(body: Buffer): boolean {
  for (let i = 0; i < body.length; i++) if (!isSpace(body[i])) return false;
  return true;
}

/** Parses `body`; `invalid` makes the API's error for a body that is too wide or not JSON. */
export function parseJsonBody(body: Buffer, invalid: (issues: readonly Issue[]) => GatewayError): unknown {
  const widest = widestObject(body);
  if (widest > MAX_OBJECT_FIELDS)
    throw invalid([
      {
        path: '(root)',
        message: `an object has ${widest} fields; at most ${MAX_OBJECT_FIELDS} are read`,
      },
    ]);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw invalid([{ path: '(root)', message: `the body is not valid JSON: ${(err as Error).message}` }]);
  }
}
