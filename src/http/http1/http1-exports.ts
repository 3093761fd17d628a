/**
 * `turnpike/http1`: Turnpike's HTTP/1.1 server alone, so a benchmark can measure the HTTP layer
 * apart from routing, the cache and metrics (imported by package name, not by a path into dist/).
 */
export { Http1Server, type Http1ServerOptions } from './server.js';
