/**
 * Who calls the relayer API, and what it costs them. With tenancy on, every route needs an API
 * key (`X-Api-Key` or `Authorization: Bearer`; keys in the path are an RPC-route convention and
 * do not apply) and sees only its own project's transfers; with tenancy off the routes are open
 * and transfers belong to no project (null). A POST is admitted like one JSON-RPC call of
 * method `relayer_transfers` per transfer on `relayer.network` (plan, credits and quota for
 * all its transfers at once, one rate-limit token) and metered into the same usage tables: an
 * accepted request counts one request per transfer it stored, anything else one request.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { HttpRequest } from '../../http/exchange.js';
import type { Access } from '../../tenancy/access.js';
import { extractApiKey } from '../../tenancy/extract-key.js';
import type { Tenancy } from '../../tenancy/tenancy.js';

export const RELAYER_METHOD = 'relayer_transfers';

export interface RelayerCaller {
  /** The caller's project; null with tenancy off. */
  readonly projectId: string | null;
  /** Undefined with tenancy off: nothing is admitted or metered. */
  readonly access: Access | undefined;
}

const OPEN: RelayerCaller = { projectId: null, access: undefined };

export async function authenticateCaller(
  tenancy: Tenancy | undefined,
  network: string,
  req: HttpRequest,
  clientIp: string | undefined,
): Promise<RelayerCaller> {
  if (tenancy === undefined || !tenancy.enabled) return OPEN;
  // '/' has no path segment, so only the headers are read.
  if (extractApiKey('/', req.headers) === undefined) {
    tenancy.authFailures.missing++;
    throw new GatewayError(
      'ERR_AUTH_MISSING_KEY',
      'an API key is required: X-Api-Key or Authorization: Bearer',
    );
  }
  const found = await tenancy.authenticate(network, '/', req.headers, clientIp);
  if (found instanceof GatewayError) throw found;
  const projectId = found.entry?.grant.project.id;
  // A key always has a project; a keyless Access here would mean the key went missing.
  if (projectId === undefined) throw new GatewayError('ERR_AUTH_MISSING_KEY', 'an API key is required');
  return { projectId, access: found };
}

/**
 * Plan, credits, quota and rate limit for one POST of `transfers` transfers; throws the
 * refusal (and meters it). Credits and quota are checked and reserved for every transfer at
 * once, so a POST the balance cannot pay in full is refused before anything is stored; the
 * rate limit takes one token per POST.
 */
export async function admitTransfers(caller: RelayerCaller, bytes: number, transfers: number): Promise<void> {
  const access = caller.access;
  if (access === undefined) return;
  const refusal = await access.admit(RELAYER_METHOD, transfers);
  if (refusal === undefined) return;
  access.record(RELAYER_METHOD, refusal.code, bytes);
  throw refusal;
}

/**
 * Meters an admitted POST, which reserved `reserved` transfers (`admitTransfers`). A request
 * that stored `stored` new transfers is charged one request per transfer, anything else (a
 * replay, a conflict, a failed commit) one request; the reservation shrinks to that first (the
 * account and the meter must agree, or credit and quota checks drift).
 */
export function recordTransfers(
  caller: RelayerCaller,
  outcome: string,
  stored: number,
  bytes: number,
  reserved: number,
): void {
  const access = caller.access;
  if (access === undefined) return;
  const entry = access.entry;
  const count = Math.max(1, stored);
  if (entry !== undefined && count !== reserved) {
    entry.account.servedRequests += count - reserved;
    entry.account.servedComputeUnits += (count - reserved) * entry.rules.units.cost(RELAYER_METHOD);
  }
  for (let i = 0; i < count; i++) access.record(RELAYER_METHOD, outcome, i === 0 ? bytes : 0);
}
