/**
 * Dashboard sign-in sessions as HMAC-signed cookies: `<expiry ms>.<signature>`. Signed, not a
 * server-side session map, because under `turnpike start` each worker is a process of its own
 * and the page's next request may land on any of them: a signature every worker can check
 * needs no shared state. The key mixes a secret made at start (the cluster primary hands the
 * same one to every worker) with the admin token, so a restart or a new token signs everybody
 * out. Sign-out clears the cookie in the browser; a copied cookie stays valid until it expires
 * (SESSION_TTL_MS) — see docs/dashboard.md.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestHeaders } from '../http/exchange.js';

export const SESSION_COOKIE = 'turnpike_dashboard';
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

export class SessionSigner {
  private readonly key: Buffer;

  constructor(secret: Buffer, adminToken: string) {
    this.key = createHmac('sha256', secret).update(`turnpike-dashboard-session\u0000${adminToken}`).digest();
  }

  /** A new session's cookie value, valid for SESSION_TTL_MS from `now`. */
  issue(now = Date.now()): string {
    const expires = String(now + SESSION_TTL_MS);
    return `${expires}.${this.sign(expires)}`;
  }

  /** Whether the request carries a session cookie this gateway signed and that has not expired. */
  verify(headers: RequestHeaders, now = Date.now()): boolean {
    const value = readCookie(headers.cookie, SESSION_COOKIE);
    if (value === undefined) return false;
    const dot = value.indexOf('.');
    if (dot <= 0) return false;
    const expires = value.slice(0, dot);
    if (!/^\d{1,15}$/.test(expires) || Number(expires) <= now) return false;
    const presented = Buffer.from(value.slice(dot + 1), 'utf8');
    const expected = Buffer.from(this.sign(expires), 'utf8');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  }

  private sign(expires: string): string {
    return createHmac('sha256', this.key).update(expires).digest('base64url');
  }
}

/** `Set-Cookie` for a session (empty value: the sign-out, which expires it at once). */
export function sessionCookie(value: string, secure: boolean): string {
  const maxAge = value === '' ? 0 : Math.floor(SESSION_TTL_MS / 1000);
  return `${SESSION_COOKIE}=${value}; Path=/dashboard; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

/** One cookie's value from a `Cookie` header (bounded work: a split on `;`). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
