/**
 * `POST /dashboard/sign-in`: one form field that takes either the admin token or a project's API
 * key (`tp_…`, looked up through the tenancy layer's key cache, which stores only key hashes).
 * The admin token opens an admin session; a valid key opens a session scoped to its project.
 * Wrong secrets count against the client's address (sign-in-guard.ts); a locked-out address is
 * refused before anything is checked.
 */
import { GatewayError } from '../errors/gateway-error.js';
import { clientIp } from '../http/client-ip.js';
import type { HttpRequest, ResponseHeaders, ResponseWriter } from '../http/exchange.js';
import { type ResponseContext, send, sendError } from '../http/respond.js';
import { looksLikeApiKey } from '../tenancy/api-key-secret.js';
import type { KeyCache } from '../tenancy/key-cache.js';
import type { DashboardAssets } from './assets.js';
import { signInPage } from './pages.js';
import { ADMIN_SCOPE, type SessionScope, type SessionSigner, sessionCookie } from './session.js';
import type { SignInGuard } from './sign-in-guard.js';

const MAX_FORM_BYTES = 4096;

export interface SignInContext {
  readonly response: ResponseContext;
  readonly assets: DashboardAssets;
  readonly signer: SessionSigner;
  readonly matchesToken: (presented: string) => boolean;
  readonly guard: SignInGuard;
  readonly trustedProxies: ReadonlySet<string>;
  /** The tenancy layer's key cache; undefined with tenancy off (API keys cannot sign in then). */
  readonly keys: () => KeyCache | undefined;
}

export async function signIn(
  context: SignInContext,
  req: HttpRequest,
  res: ResponseWriter,
  headers: ResponseHeaders,
): Promise<void> {
  const page = (status: number, message: string, code?: string) => {
    headers['content-type'] = 'text/html; charset=utf-8';
    send(context.response, req, res, status, signInPage(context.assets, message, code), headers);
  };
  const address = clientIp(req, context.trustedProxies) ?? 'unknown';
  const lockedMs = context.guard.lockedFor(address);
  if (lockedMs > 0) {
    const seconds = Math.ceil(lockedMs / 1000);
    headers['retry-after'] = seconds;
    return page(429, `Too many failed sign-ins: try again in ${seconds} s.`, 'ERR_DASHBOARD_LOCKED');
  }
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  const secret =
    type === 'application/x-www-form-urlencoded' && req.body.length <= MAX_FORM_BYTES
      ? new URLSearchParams(req.body.toString('utf8')).get('token')
      : null;
  if (secret === null) {
    const error = new GatewayError(
      'ERR_DASHBOARD_INVALID',
      'post the sign-in form: a urlencoded token field',
    );
    sendError(context.response, req, res, error, null, headers);
    return;
  }
  const isKey = looksLikeApiKey(secret);
  // An admin token may happen to have a key's shape: it is still the admin token.
  const scope =
    (isKey ? await projectScope(context.keys(), secret) : undefined) ?? adminScope(context, secret);
  if (scope === undefined) {
    const locked = context.guard.failed(address);
    const message = isKey ? 'That is not a valid API key.' : 'That is not the admin token.';
    return page(401, locked ? `${message} Too many failed sign-ins: locked for a while.` : message);
  }
  context.guard.succeeded(address);
  headers['set-cookie'] = sessionCookie(context.signer.issue(scope), isHttps(req));
  headers.location = '/dashboard';
  res.end(303, headers);
}

function adminScope(context: SignInContext, token: string): SessionScope | undefined {
  return context.matchesToken(token) ? ADMIN_SCOPE : undefined;
}

/** The key's project, if the key is known, not revoked and not expired. */
async function projectScope(keys: KeyCache | undefined, secret: string): Promise<SessionScope | undefined> {
  if (keys === undefined) return undefined;
  let entry: Awaited<ReturnType<KeyCache['lookup']>>;
  try {
    entry = await keys.lookup(secret);
  } catch (err) {
    throw new GatewayError('ERR_TENANCY_UNAVAILABLE', 'the API key could not be checked; retry shortly', {
      cause: err,
    });
  }
  if (entry === undefined) return undefined;
  return { kind: 'project', projectId: entry.grant.project.id, keyId: entry.grant.key.id };
}

/** Behind a TLS-terminating proxy the cookie is marked Secure. */
export function isHttps(req: HttpRequest): boolean {
  return req.headers['x-forwarded-proto']?.split(',')[0]?.trim().toLowerCase() === 'https';
}
