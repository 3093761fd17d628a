/** The paths the relayer API serves; the router asks before it tries the network routes. */

export function isRelayerPath(path: string): boolean {
  return (
    path === '/v1/transfers' ||
    path.startsWith('/v1/transfers/') ||
    path === '/send-ft' ||
    path.startsWith('/transfer/')
  );
}
