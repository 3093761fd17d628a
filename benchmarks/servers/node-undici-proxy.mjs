// The runtime's floor: node:http in front of an undici Pool, one process per core, passing bodies
// through untouched — no JSON-RPC parsing, validation, metrics, selection or failsafe. It is the
// issue's own yardstick ("node:http + undici ≈ 55 µs/req"); what Turnpike costs above it is
// gateway work, what it costs below nginx is the runtime. Not a usable proxy: no limits, no errors.
// Usage: node node-undici-proxy.mjs <port> <upstream-url> <workers>
import http from 'node:http';
import { Pool } from 'undici';
import { announceReady, forkWorkers } from './fork-workers.mjs';

const [port, upstream, workersArg] = process.argv.slice(2);
if (!port || !upstream) {
  console.error('usage: node-undici-proxy.mjs <port> <upstream-url> [workers]');
  process.exit(2);
}
const workers = Math.max(1, Number(workersArg) || 1);

if (!forkWorkers(port, workers)) {
  const url = new URL(upstream);
  const pool = new Pool(url.origin, { connections: 64 });
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      pool
        .request({
          method: 'POST',
          path: url.pathname,
          headers: { 'content-type': 'application/json' },
          body: Buffer.concat(chunks),
        })
        .then(async ({ statusCode, body }) => {
          const reply = Buffer.from(await body.arrayBuffer());
          res.writeHead(statusCode, { 'content-type': 'application/json', 'content-length': reply.length });
          res.end(reply);
        })
        .catch(() => {
          res.writeHead(502).end();
        });
    });
  });
  server.keepAliveTimeout = 75_000;
  server.listen(Number(port), '127.0.0.1', () => {
    announceReady(port);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
