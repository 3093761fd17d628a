// A small HTTP JSON-RPC pass-through that counts calls by method (batches count each member):
// put in front of an upstream, it tells how many calls a gateway made, whatever it reports itself.
import http from 'node:http';
import { freePort } from './ports.mjs';

/** Listens on a free loopback port and forwards every request to `upstream` (an http:// URL). */
export async function startCountingProxy(upstream) {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const counts = new Map();
  const count = (method) => counts.set(method, (counts.get(method) ?? 0) + 1);
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        const parsed = JSON.parse(body.toString());
        for (const call of Array.isArray(parsed) ? parsed : [parsed]) count(String(call?.method));
      } catch {
        count('(not JSON)');
      }
      const forward = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: req.method,
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      forward.end(body);
    });
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}/`,
    /** Calls by method so far (a copy). */
    snapshot: () => Object.fromEntries(counts),
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Calls by method between two snapshots. */
export function countsBetween(before, after) {
  const out = {};
  for (const [method, n] of Object.entries(after)) {
    const delta = n - (before[method] ?? 0);
    if (delta > 0) out[method] = delta;
  }
  return out;
}
