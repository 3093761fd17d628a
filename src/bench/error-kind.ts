/** Names a failed request by what went wrong, for the report's errors-by-kind table. */

const KINDS: Record<string, string> = {
  ECONNREFUSED: 'connect_refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
};

/** `connect_refused`, `reset`, `timeout`, or `other_<code>`. */
export function errorKind(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  // A socket error carries the system error (ECONNRESET…) as its cause: prefer the specific one.
  for (const candidate of [cause, code]) {
    if (typeof candidate === 'string' && KINDS[candidate] !== undefined && candidate !== 'UND_ERR_SOCKET')
      return KINDS[candidate];
  }
  if (typeof code === 'string') return KINDS[code] ?? `other_${code}`;
  return `other_${(err as Error | null)?.name ?? 'error'}`;
}
