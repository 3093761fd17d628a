/**
 * Dashboard sign-in sessions as HMAC-signed cookies: `<scope>.<expiry ms>.<signature>`, where the
 * scope is `admin` or `p~<project id>~<key id>` (a project API key's session: ids only, never
 * the key). Signed, not a server-side session map, because under `turnpike start` each worker is
 * a process of its own and the page's next request may land on any of them: a signature every
 * worker can check needs no shared state. The key mixes a secret made at start (the cluster
 * primary hands the same one to every worker) with the admin token, so a restart or a new token
 * signs everybody out. Sign-out clears the cookie in the browser; a copied cookie stays valid
 * until it expires (SESSION_TTL_MS) — see docs/dashboard.md.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestHeaders } from '../http/exchange.js';

export const SESSION_COOKIE = 'turnpike_dashboard';
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;

/** Who a session is for: the operator (every project), or one project through one of its keys. */
export type SessionScope =
  | { readonly kind: 'admin' }
  | { readonly kind: 'project'; readonly projectId: string; readonly keyId: string };

export const ADMIN_SCOPE: SessionScope = { kind: 'admin' };

/** Row ids as tenancy/ids.ts makes them (`prj_…`, `key_…`); nothing else goes in a cookie. */
const ID = /^[a-z]{3}_[0-9A-Za-z]{1,40}$/;

export class SessionSigner {
  private readonly key: Buffer;

  constructor(secret: Buffer, adminToken: string) {
    this.key = createHmac('sha256', secret).update(`turnpike-dashboard-session\u0000${adminToken}`).digest();
  }

  /** A new session's cookie value for `scope`, valid for SESSION_TTL_MS from `now`. */
  issue(scope: SessionScope = ADMIN_SCOPE, now = Date.now()): string {
    const payload = `${encodeScope(scope)}.${now + SESSION_TTL_MS}`;
    return `${payload}.${this.sign(payload)}`;
  }

  /** The scope of a session cookie this gateway signed and that has not expired; else undefined. */
  verify(headers: RequestHeaders, now = Date.now()): SessionScope | undefined {
    const value = readCookie(headers.cookie, SESSION_COOKIE);
    if (value === undefined) return undefined;
    const last = value.lastIndexOf('.');
    const first = value.indexOf('.');
    if (first <= 0 || last <= first) return undefined;
    const payload = value.slice(0, last);
    const expires = value.slice(first + 1, last);
    if (!/^\d{1,15}$/.test(expires) || Number(expires) <= now) return undefined;
    const presented = Buffer.from(value.slice(last + 1), 'utf8');
    const expected = Buffer.from(this.sign(payload), 'utf8');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
    return decodeScope(value.slice(0, first));
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

function encodeScope(scope: SessionScope): string {
  if (scope.kind === 'admin') return 'admin';
  if (!ID.test(scope.projectId) || !ID.test(scope.keyId)) throw new Error('not a project or key id');
  return `p~${scope.projectId}~${scope.keyId}`;
}

function decodeScope(text: string): SessionScope | undefined {
  if (text === 'admin') return ADMIN_SCOPE;
  const [tag, projectId, keyId, extra] = text.split('~');
  if (tag !== 'p' || projectId === undefined || keyId === undefined || extra !== undefined) return undefined;
  return ID.test(projectId) && ID.test(keyId) ? { kind: 'project', projectId, keyId } : undefined;
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
