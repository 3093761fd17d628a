/**
 * The admin token: where it comes from, and a check that takes the same time whatever the
 * guess. Both sides are hashed first, so `timingSafeEqual` compares equal lengths and the
 * token's length does not leak either. The header is read by index scanning, not a regular
 * expression: it arrives before authentication, and `/^Bearer[ \t]+(.*?)[ \t]*$/` backtracked
 * quadratically on a value of spaces (220 ms for 16 KB).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { effectiveSettings } from '../config/effective-settings.js';
import type { TurnpikeConfig } from '../config/schema.js';

const MIN_TOKEN_LENGTH = 16;
const SCHEME = 'bearer';

/** `TURNPIKE_ADMIN_TOKEN` when set and non-empty, else `tenancy.adminToken`; undefined = API off. */
export function resolveAdminToken(
  config: TurnpikeConfig,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const { adminToken: token, adminTokenFrom } = effectiveSettings(config, env);
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH)
    throw new Error(
      `${adminTokenFrom} is too short: the admin token needs at least ${MIN_TOKEN_LENGTH} characters`,
    );
  return token;
}

/** A check of an `Authorization` header value against the token. */
export function bearerTokenCheck(token: string): (authorization: string | undefined) => boolean {
  const matches = tokenCheck(token);
  return (authorization) => {
    const presented = authorization === undefined ? undefined : bearerCredentials(authorization);
    return presented !== undefined && matches(presented);
  };
}

/** A check of a presented token (the dashboard's sign-in form) in the same constant time. */
export function tokenCheck(token: string): (presented: string) => boolean {
  const expected = sha256(token);
  return (presented) => timingSafeEqual(sha256(presented), expected);
}

/**
 * The credentials of `Bearer <credentials>` (scheme in any case, then spaces or tabs; trailing
 * spaces and tabs dropped), or undefined for another scheme or a value with a line break. Each
 * character is looked at most twice, so the work is linear in the header's length.
 */
export function bearerCredentials(value: string): string | undefined {
  if (value.length <= SCHEME.length || value.slice(0, SCHEME.length).toLowerCase() !== SCHEME)
    return undefined;
  let start = SCHEME.length;
  if (!isBlank(value.charCodeAt(start))) return undefined;
  while (start < value.length && isBlank(value.charCodeAt(start))) start++;
  let end = value.length;
  while (end > start && isBlank(value.charCodeAt(end - 1))) end--;
  for (let i = start; i < end; i++) if (isLineBreak(value.charCodeAt(i))) return undefined;
  return value.slice(start, end);
}

/** Space or horizontal tab (HTTP's `OWS`). */
function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** What `.` refuses to match: the old expression refused these inside the token. */
function isLineBreak(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
