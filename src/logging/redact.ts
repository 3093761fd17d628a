/**
 * Masks credentials wherever a URL is shown (upstream URLs, request lines in the log): userinfo,
 * query values and long path segments (API keys).
 */
const SECRET_SEGMENT = /^[A-Za-z0-9_-]{16,}$/;

export function redactUrl(input: URL | string): string {
  let url: URL;
  try {
    url = typeof input === 'string' ? new URL(input) : new URL(input.href);
  } catch {
    return '[invalid url]';
  }
  if (url.username !== '') url.username = '***';
  if (url.password !== '') url.password = '***';
  for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, '***');
  url.pathname = url.pathname
    .split('/')
    .map((segment) => (SECRET_SEGMENT.test(segment) ? '***' : segment))
    .join('/');
  return url.href.replace(/%2A%2A%2A/g, '***');
}

/** The same masking for a request target as a client sent it (`/eth/KEY?apikey=…`). */
export function redactTarget(target: string): string {
  const origin = 'http://x';
  const href = redactUrl(`${origin}${target.startsWith('/') ? '' : '/'}${target}`);
  return href.startsWith(origin) ? href.slice(origin.length) : '[invalid target]';
}
