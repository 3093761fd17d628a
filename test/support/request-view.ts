/** What a parsed request looks like to a route, independent of how its bytes were split. */
import type { ParsedRequest } from '../../src/http/http1/request-parser.js';

export interface RequestView {
  method: string;
  url: string;
  minorVersion: number;
  headers: Record<string, string>;
  keepAlive: boolean;
  body: string;
}

export const requestView = (r: ParsedRequest): RequestView => ({
  method: r.method,
  url: r.url,
  minorVersion: r.minorVersion,
  headers: { ...r.headers },
  keepAlive: r.keepAlive,
  body: r.body.toString('latin1'),
});
