/** The paths the relayer API serves; the router asks before it tries the network routes. */

/**
 * `GET /health` is the NEAR token service's health route. Only GET and HEAD are the relayer's:
 * a network named `health` keeps its JSON-RPC `POST /health`.
 */
export function isRelayerPath(path: string, method: string): boolean {
  return (
    path === '/v1/transfers' ||
    path.startsWith('/v1/transfers/') ||
    path === '/send-ft' ||
    path.startsWith('/transfer/') ||
    (path === '/health' && (method === 'GET' || method === 'HEAD'))
  );
}
