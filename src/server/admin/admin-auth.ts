/**
 * The admin token: where it comes from, and a check that takes the same time whatever the
 * guess. Both sides are hashed first, so `timingSafeEqual` compares equal lengths and the
 * token's length does not leak either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { TurnpikeConfig } from '../../config/schema.js';

const MIN_TOKEN_LENGTH = 16;
const BEARER = /^Bearer[ \t]+(.*?)[ \t]*$/i;

/** `TURNPIKE_ADMIN_TOKEN` when set and non-empty, else `tenancy.adminToken`; undefined = API off. */
export function resolveAdminToken(
  config: TurnpikeConfig,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const fromEnv = env.TURNPIKE_ADMIN_TOKEN;
  const token = fromEnv !== undefined && fromEnv !== '' ? fromEnv : config.tenancy.adminToken;
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    const source = token === fromEnv ? 'TURNPIKE_ADMIN_TOKEN' : 'tenancy.adminToken';
    throw new Error(`${source} is too short: the admin token needs at least ${MIN_TOKEN_LENGTH} characters`);
  }
  return token;
}

/** A check of an `Authorization` header value against the token. */
export function bearerTokenCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = sha256(token);
  return (authorization) => {
    const presented = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (presented === undefined) return false;
    return timingSafeEqual(sha256(presented), expected);
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
