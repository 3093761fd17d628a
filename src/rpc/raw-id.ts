/**
 * Keeps numeric ids that JavaScript numbers cannot hold exactly (2^64, 1.5e400, fractions) as
 * their source text. Such requests go upstream with a synthetic id (many nodes reject big ids)
 * and the client's exact id text is spliced back into the response entry.
 */
import { isIdKey } from './json-bytes.js';
import { elementEnd, ObjectWalk, scalarEnd } from './json-scan.js';

/** Reused by every call (no allocation per scan). */
const walk = new ObjectWalk();

/** True when a parsed numeric id would not survive JSON.stringify with the client's digits. */
export function isLossyId(id: unknown): id is number {
  return typeof id === 'number' && !Number.isSafeInteger(id);
}

/**
 * Byte range of the value of the first top-level `"id"` member of a JSON object, if it is a
 * scalar. The members before it are skipped, not checked (`elementEnd`): response entries come
 * from upstreams or this gateway and may nest any depth.
 */
export function idValueRange(json: Buffer): { start: number; end: number } | undefined {
  if (!walk.open(json, 0)) return undefined;
  while (walk.nextKey(false)) {
    const start = walk.valueStart;
    if (isIdKey(json, walk.keyOpen, walk.keyClose)) {
      const end = scalarEnd(json, start);
      return end === -1 ? undefined : { start, end };
    }
    walk.valueEnded(elementEnd(json, start, json.length));
  }
  return undefined;
}

/** The source text of a request's id, or undefined when it cannot be found. */
export function rawIdText(raw: Buffer): string | undefined {
  const range = idValueRange(raw);
  return range === undefined ? undefined : raw.toString('utf8', range.start, range.end);
}

/** Replaces the top-level id of a response entry with `rawId` (unchanged if none is found). */
export function spliceRawId(body: Buffer | string, rawId: string): Buffer | string {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const range = idValueRange(bytes);
  if (range === undefined) return body;
  return Buffer.concat([bytes.subarray(0, range.start), Buffer.from(rawId), bytes.subarray(range.end)]);
}
