/** Decodes a request body's Content-Encoding with a hard byte limit on the decoded size. */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { GatewayError } from '../errors/gateway-error.js';
import { bodyTooLarge } from './http1/errors.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const brotli = promisify(zlib.brotliDecompress);

/** Decodes `Content-Encoding`, bounding the decoded size so a zip bomb cannot exhaust memory. */
export async function decodeBody(
  body: Buffer,
  encoding: string | undefined,
  maxBytes: number,
): Promise<Buffer> {
  if (encoding === undefined || encoding === '' || encoding === 'identity') return body;
  const options = { maxOutputLength: maxBytes };
  try {
    switch (encoding.trim().toLowerCase()) {
      case 'gzip':
      case 'x-gzip':
        return await gunzip(body, options);
      case 'deflate':
        return await inflate(body, options);
      case 'br':
        return await brotli(body, options);
      default:
        break;
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw bodyTooLarge(maxBytes);
    throw new GatewayError('ERR_UNSUPPORTED_ENCODING', `body is not valid ${encoding}`, { cause: err });
  }
  throw new GatewayError('ERR_UNSUPPORTED_ENCODING', `unsupported Content-Encoding: ${encoding}`);
}
