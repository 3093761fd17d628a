/** The limits a WebSocket handshake must fit (connection-counts.ts), and the refusal when one is full. */
import type { RealtimeConfig } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { ConnectionClaim } from './connection-counts.js';

/** Per client IP always; per API key when the socket has one. */
export function connectionClaims(
  config: Pick<RealtimeConfig, 'maxConnectionsPerIp' | 'maxConnectionsPerKey'>,
  ip: string | undefined,
  keyId: string | undefined,
): ConnectionClaim[] {
  const claims: ConnectionClaim[] = [
    { id: `ip:${ip ?? ''}`, limit: config.maxConnectionsPerIp, scope: 'ip' },
  ];
  if (keyId !== undefined)
    claims.push({ id: `k:${keyId}`, limit: config.maxConnectionsPerKey, scope: 'key' });
  return claims;
}

/** The ids of `connectionClaims`, to release them. */
export function claimIds(ip: string | undefined, keyId: string | undefined): string[] {
  return keyId === undefined ? [`ip:${ip ?? ''}`] : [`ip:${ip ?? ''}`, `k:${keyId}`];
}

export function limitError(full: ConnectionClaim): GatewayError {
  const holder = full.scope === 'key' ? 'this API key' : 'this client IP';
  return new GatewayError(
    'ERR_REALTIME_CONNECTION_LIMIT',
    `${holder} holds ${full.limit} WebSocket connections already`,
    { data: { limit: full.scope } },
  );
}
