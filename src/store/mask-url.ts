/**
 * Hides the password of a connection URL for logs: `scheme://user:secret@host` →
 * `scheme://user:***@host`, and a user-only `scheme://secret@host` → `scheme://***@host`.
 * Index scanning, linear in the URL: the regular expressions this replaces backtracked
 * quadratically on a URL of many `//x:` with no `@`.
 */
export function maskUrlPassword(url: string): string {
  const start = url.indexOf('//');
  if (start === -1) return url;
  const authority = start + 2;
  const at = url.indexOf('@', authority);
  if (at === -1) return url;
  const colon = url.indexOf(':', authority);
  const slash = url.indexOf('/', authority);
  // `user:password@`: the password runs to the first `@`, and may hold a `/` or a `:`.
  if (colon !== -1 && colon < at && (slash === -1 || slash > colon))
    return `${url.slice(0, colon + 1)}***${url.slice(at)}`;
  if (slash === -1 || slash > at) return `${url.slice(0, authority)}***${url.slice(at)}`;
  return url;
}
