/** Whether a key still works: revoked, expired, still working until a set time (a rotation's grace), or active. */
import type { ApiKey } from '../../tenancy/model.js';
import { formatTime } from './output.js';

export type KeyStatus = 'active' | 'expiring' | 'expired' | 'revoked';

export function keyStatus(key: ApiKey, now: number): KeyStatus {
  if (key.revokedAt !== undefined) return 'revoked';
  if (key.expiresAt === undefined) return 'active';
  return key.expiresAt <= now ? 'expired' : 'expiring';
}

/** `expires 2025-03-01 14:02:07Z` for a key in its grace period, else the status itself. */
export function keyStatusText(key: ApiKey, now: number): string {
  const status = keyStatus(key, now);
  return status === 'expiring' && key.expiresAt !== undefined
    ? `expires ${formatTime(key.expiresAt)}`
    : status;
}

export function isUsable(key: ApiKey, now: number): boolean {
  const status = keyStatus(key, now);
  return status === 'active' || status === 'expiring';
}
