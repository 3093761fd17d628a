// The candidate codecs of the cache codec benchmark, all through node:zlib's sync API (the way
// src/cache/codec.ts calls them), plus base64 as the anti-baseline.
import zlib from 'node:zlib';

const { constants } = zlib;

/** Brotli tuned for JSON text: the text-mode hint and the exact input size. */
function brotliOptions(quality, size) {
  return {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: quality,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: size,
    },
  };
}

/** Each codec: name, the family it belongs to (one format byte per family), compress, decompress. */
export function candidateCodecs() {
  const codecs = [];
  for (const level of [1, 4, 6]) {
    codecs.push({
      name: `gzip-${level}`,
      family: 'gzip',
      compress: (input) => zlib.gzipSync(input, { level }),
      decompress: (input) => zlib.gunzipSync(input),
    });
  }
  for (const level of [1, 6]) {
    codecs.push({
      name: `deflate-raw-${level}`,
      family: 'deflate-raw',
      compress: (input) => zlib.deflateRawSync(input, { level }),
      decompress: (input) => zlib.inflateRawSync(input),
    });
  }
  for (const quality of [1, 4, 5]) {
    codecs.push({
      name: `brotli-${quality}`,
      family: 'brotli',
      compress: (input) => zlib.brotliCompressSync(input, brotliOptions(quality, input.length)),
      decompress: (input) => zlib.brotliDecompressSync(input),
    });
  }
  if (typeof zlib.zstdCompressSync === 'function') {
    for (const level of [1, 3]) {
      codecs.push({
        name: `zstd-${level}`,
        family: 'zstd',
        compress: (input) =>
          zlib.zstdCompressSync(input, {
            params: {
              [constants.ZSTD_c_compressionLevel]: level,
              [constants.ZSTD_c_pledgedSrcSize]: input.length,
            },
          }),
        decompress: (input) => zlib.zstdDecompressSync(input),
      });
    }
  }
  return codecs;
}

/** Why zstd is not among the candidates, or undefined when it is. */
export function zstdSkipReason() {
  if (typeof zlib.zstdCompressSync === 'function') return undefined;
  return `node:zlib in Node ${process.version} has no zstdCompressSync (added in Node 23.8 and 22.15)`;
}

/** What the teams we build for called compression: base64, 4 bytes out for every 3 in. */
export const BASE64 = {
  name: 'base64 (anti-baseline)',
  family: 'base64',
  compress: (input) => Buffer.from(input.toString('base64')),
  decompress: (input) => Buffer.from(input.toString('latin1'), 'base64'),
};
