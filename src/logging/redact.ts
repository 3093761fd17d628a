/** Masks credentials in upstream URLs: userinfo, query values and long path segments (API keys). */
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
