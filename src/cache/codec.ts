/**
 * How cached values are stored: one format byte, then the payload. Values below `minBytes`, and
 * values that compression does not shrink, are stored raw (format 0x00, one byte of overhead);
 * larger ones are compressed with ENCODE_FORMAT. `decodeValue` reads every format byte this
 * module has ever written, so ENCODE_FORMAT can change without flushing Redis: ship decoding for
 * a new format one release before encoding with it.
 *
 * The codec was chosen by `npm run bench:codec` (docs/benchmarks.md, "Cache value codec") on real
 * JSON-RPC results. Calls are synchronous on purpose: values are bounded (`cache.maxEntryBytes`,
 * 8 MiB by default) and brotli-4 measured about 47 µs to compress and 11 µs to decompress a 2.4 KB
 * result, 0.15 / 0.04 ms at 18 KB, and 4.6 / 1.4 ms per MiB (2-core AMD EPYC VM, Node 20.20).
 * The async API would add a thread-pool round trip to every read of the common sizes, where the
 * work itself is shorter than the hop.
 */
import {
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  gunzipSync,
  inflateRawSync,
  type ZlibOptions,
} from 'node:zlib';

/** Stored as is. */
export const FORMAT_RAW = 0x00;
/** gzip (RFC 1952) of the value, any level. */
export const FORMAT_GZIP = 0x01;
/** Brotli of the value, any quality and window. */
export const FORMAT_BROTLI = 0x02;
/** Raw deflate (RFC 1951, no header or checksum), any level. */
export const FORMAT_DEFLATE_RAW = 0x03;
/**
 * Reserved for zstd once the oldest supported Node has it in node:zlib (22.15 / 23.8; Node 20
 * does not). Not decoded yet: a stored value with this byte is an error (a cache miss).
 */
export const FORMAT_ZSTD = 0x04;

/**
 * What new values are written with: brotli quality 4 (text mode, size hint), the choice of the
 * benchmark's rule. Among codecs whose stored size is within 10 % of the smallest in every size
 * class, it needs the least CPU for one compress + 10 decompresses per KiB. Stored ÷ raw size:
 * 25.1 % (1–4 KiB), 14.0 % (4–64 KiB), 8.7 % (64 KiB–1 MiB). On large values gzip-6 and
 * deflate-raw-6 stored 10.4 % (19 % more) and deflate-raw-1 11.3 % (30 % more); brotli-5 was as
 * small for 21 % more CPU. brotli-1 and deflate-raw-1 used 20–23 % less CPU, but brotli-1 stored
 * 12 % more than the smallest on 1–4 KiB values and deflate-raw-1 30 % more on large ones. Base64,
 * for contrast, stores 133 %.
 */
export const ENCODE_FORMAT: typeof FORMAT_BROTLI = FORMAT_BROTLI; // typed so a switch must touch compress() too
/** Brotli quality used by encodeValue (see ENCODE_FORMAT). */
export const BROTLI_QUALITY = 4;

const FORMAT_NAMES: Readonly<Record<number, string>> = {
  [FORMAT_RAW]: 'raw',
  [FORMAT_GZIP]: 'gzip',
  [FORMAT_BROTLI]: 'brotli',
  [FORMAT_DEFLATE_RAW]: 'deflate-raw',
  [FORMAT_ZSTD]: 'zstd',
};

/** A stored value this build cannot decode. Internal: the Redis tier treats it as a miss. */
export class CacheCodecError extends Error {
  override readonly name = 'CacheCodecError';
  /** The format byte, or undefined when there was none (empty stored value). */
  readonly format: number | undefined;

  constructor(message: string, format: number | undefined, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.format = format;
  }
}

/**
 * The stored form of `value`: format byte + payload. Values of at least `minBytes` are compressed
 * with ENCODE_FORMAT unless the result is not smaller than the value.
 */
export function encodeValue(value: Buffer, minBytes: number): Buffer {
  if (value.length > 0 && value.length >= minBytes) {
    const compressed = compress(value);
    if (compressed.length < value.length) return withFormat(ENCODE_FORMAT, compressed);
  }
  return withFormat(FORMAT_RAW, value);
}

/**
 * The value stored by `encodeValue` (any format byte it has ever written). A raw value is
 * returned as a view of `stored`, not a copy. Throws CacheCodecError for an empty buffer, an
 * unknown or reserved format byte, a corrupt payload, or a value that would decode to more than
 * `maxBytes` (a guard against a corrupt or hostile entry inflating without bound).
 */
export function decodeValue(stored: Buffer, maxBytes?: number): Buffer {
  if (stored.length === 0) throw new CacheCodecError('cached value is empty: no format byte', undefined);
  const format = stored.readUInt8(0);
  const payload = stored.subarray(1);
  const options: ZlibOptions = maxBytes === undefined ? {} : { maxOutputLength: maxBytes };
  let decoded: Buffer;
  try {
    switch (format) {
      case FORMAT_RAW:
        decoded = payload;
        break;
      case FORMAT_GZIP:
        decoded = gunzipSync(payload, options);
        break;
      case FORMAT_BROTLI:
        decoded = brotliDecompressSync(payload, options);
        break;
      case FORMAT_DEFLATE_RAW:
        decoded = inflateRawSync(payload, options);
        break;
      default: {
        const name = FORMAT_NAMES[format];
        const what = name === undefined ? 'unknown' : `reserved (${name}) and not supported by this build`;
        throw new CacheCodecError(`cached value has format byte ${hex(format)}: ${what}`, format);
      }
    }
  } catch (err) {
    if (err instanceof CacheCodecError) throw err;
    throw new CacheCodecError(
      `cached ${FORMAT_NAMES[format] ?? 'unknown'} value (format byte ${hex(format)}) does not decode: ${
        err instanceof Error ? err.message : String(err)
      }`,
      format,
      err,
    );
  }
  if (maxBytes !== undefined && decoded.length > maxBytes) {
    throw new CacheCodecError(`cached raw value is larger than ${maxBytes} bytes`, format);
  }
  return decoded;
}

/** ENCODE_FORMAT's codec. */
function compress(value: Buffer): Buffer {
  return brotliCompressSync(value, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: value.length,
    },
  });
}

function withFormat(format: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(payload.length + 1);
  out[0] = format;
  payload.copy(out, 1);
  return out;
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}
