/**
 * Where the relayer API is mounted on the gateway: the paths it owns (it answers 404 and 405
 * under them itself). They win over networks of the same name, except `POST /health`, which
 * stays a network's: only GET and HEAD `/health` are the relayer's, and likewise its document.
 */
import type { RouteMethod } from '../../http/route-table.js';

export const RELAYER_MOUNTS: readonly { readonly method: RouteMethod; readonly path: string }[] = [
  { method: '*', path: '/v1/transfers' },
  { method: '*', path: '/v1/transfers/*' },
  { method: '*', path: '/send-ft' },
  { method: '*', path: '/transfer/*' },
  { method: 'GET', path: '/health' },
  { method: 'GET', path: '/v1/openapi.json' },
];
