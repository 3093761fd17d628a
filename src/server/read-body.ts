/** Reads a request body with a hard byte limit, before and after gzip/deflate decoding. */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { GatewayError } from '../errors/gateway-error.js';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const brotli = promisify(zlib.brotliDecompress);

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(new GatewayError('ERR_REQUEST_TIMEOUT', 'request body was not received', { cause: err }));
      }
    });
  });
}

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
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes);
    throw new GatewayError('ERR_UNSUPPORTED_ENCODING', `body is not valid ${encoding}`, { cause: err });
  }
  throw new GatewayError('ERR_UNSUPPORTED_ENCODING', `unsupported Content-Encoding: ${encoding}`);
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('ERR_BODY_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, {
    data: { limit: maxBytes },
  });
}
