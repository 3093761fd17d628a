/**
 * Parses an HTTP/1.x request head (request line and header fields, RFC 9112 §3 and §5) and
 * decides how the body is framed. Strict where leniency enables request smuggling: no obs-fold,
 * no whitespace before the colon, no control bytes, never Content-Length with Transfer-Encoding.
 */
import { bodyTooLarge, malformed } from './errors.js';

export interface RequestHead {
  readonly method: string;
  readonly url: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minorVersion: number;
  readonly headers: Record<string, string>;
  /** Body length, or -1 for a chunked body. */
  readonly contentLength: number;
  readonly keepAlive: boolean;
  readonly expectContinue: boolean;
}

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([!-~\u0080-\u00ff]+) HTTP\/1\.([01])$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Control bytes other than HTAB are never valid in a field value (CR and LF included). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control bytes are exactly what it must find
const INVALID_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const DIGITS = /^\d{1,15}$/;

/** `text` is the head decoded as latin1, without its final CRLFCRLF. */
export function parseHead(text: string, maxBodyBytes: number): RequestHead {
  const lines = text.split('\r\n');
  const match = REQUEST_LINE.exec(lines[0]!);
  if (match === null) throw malformed('invalid request line');
  const minorVersion = match[3] === '1' ? 1 : 0;
  const headers: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) addField(headers, lines[i]!);
  if (minorVersion === 1 && headers.host === undefined) throw malformed('missing Host header');
  return {
    method: match[1]!,
    url: match[2]!,
    minorVersion,
    headers,
    contentLength: bodyLength(headers, minorVersion, maxBodyBytes),
    keepAlive: keepAlive(headers.connection, minorVersion),
    expectContinue: minorVersion === 1 && headers.expect?.toLowerCase() === '100-continue',
  };
}

function addField(headers: Record<string, string>, line: string): void {
  const colon = line.indexOf(':');
  // A leading space or tab is obs-fold; a name with whitespace before the colon fails TOKEN.
  if (colon <= 0) throw malformed('invalid header line');
  const name = line.slice(0, colon);
  if (!TOKEN.test(name)) throw malformed('invalid header name');
  const raw = line.slice(colon + 1);
  if (INVALID_VALUE.test(raw)) throw malformed(`invalid value in header ${name}`);
  const value = trimOws(raw);
  const key = name.toLowerCase();
  if (key === '__proto__') return;
  // hasOwn: a field named like an Object.prototype member ("constructor") must not merge with it.
  const previous = Object.hasOwn(headers, key) ? headers[key] : undefined;
  if (previous === undefined) headers[key] = value;
  else if (key === 'content-length' || key === 'host') throw malformed(`repeated ${name} header`);
  else headers[key] = `${previous}, ${value}`;
}

/** Strips optional whitespace (spaces and tabs only, RFC 9110 §5.6.3; `trim()` strips more). */
function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function bodyLength(headers: Record<string, string>, minorVersion: number, maxBodyBytes: number): number {
  const transferEncoding = headers['transfer-encoding'];
  const contentLength = headers['content-length'];
  if (transferEncoding !== undefined) {
    if (contentLength !== undefined) throw malformed('both Content-Length and Transfer-Encoding');
    if (minorVersion === 0) throw malformed('Transfer-Encoding in an HTTP/1.0 request');
    if (transferEncoding.toLowerCase() !== 'chunked')
      throw malformed(`unsupported Transfer-Encoding: ${transferEncoding}`);
    return -1;
  }
  if (contentLength === undefined) return 0;
  if (!DIGITS.test(contentLength)) throw malformed('invalid Content-Length');
  const length = Number(contentLength);
  if (length > maxBodyBytes) throw bodyTooLarge(maxBodyBytes);
  return length;
}

function keepAlive(connection: string | undefined, minorVersion: number): boolean {
  if (connection === undefined) return minorVersion === 1;
  const tokens = connection.toLowerCase();
  if (/(?:^|,)\s*close\s*(?:,|$)/.test(tokens)) return false;
  return minorVersion === 1 || /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(tokens);
}
