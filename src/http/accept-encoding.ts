/**
 * Picks the response encoding from `Accept-Encoding` (RFC 9110 §12.5.3): gzip or deflate,
 * whichever the client weights higher (gzip on a tie), never one it refused with `q=0`.
 * `*` stands for any encoding not named.
 */
export type ResponseEncoding = 'gzip' | 'deflate';

export function chooseEncoding(header: string | undefined): ResponseEncoding | undefined {
  if (header === undefined || header === '') return undefined;
  let gzip: number | undefined;
  let deflate: number | undefined;
  let any: number | undefined;
  for (const part of header.split(',')) {
    const [rawName = '', ...params] = part.split(';');
    const name = rawName.trim().toLowerCase();
    const q = quality(params);
    if (name === 'gzip' || name === 'x-gzip') gzip = q;
    else if (name === 'deflate') deflate = q;
    else if (name === '*') any = q;
  }
  const gzipQ = gzip ?? any ?? 0;
  const deflateQ = deflate ?? any ?? 0;
  if (gzipQ <= 0 && deflateQ <= 0) return undefined;
  return gzipQ >= deflateQ ? 'gzip' : 'deflate';
}

/** The `q` parameter (default 1); a malformed weight counts as 0 so it never forces an encoding. */
function quality(params: readonly string[]): number {
  for (const param of params) {
    const [key = '', value = ''] = param.split('=');
    if (key.trim().toLowerCase() !== 'q') continue;
    const q = Number(value.trim());
    return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
  }
  return 1;
}
