// A JSON-RPC upstream that flaps: healthy for FLAP seconds, then failing for FLAP seconds —
// alternately answering HTTP 503 and resetting connections — so a gateway's breaker opens and closes.
// Usage: node flapping-stub.mjs <port> [flapSeconds]; 0 never flaps (the steady twin).
// GET /stats returns counters as JSON.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const flapMs = Number(process.argv[3] ?? 5) * 1000;
const started = Date.now();
// okByPhase shows whether the gateway takes the upstream back after each failing phase.
const stats = { ok: 0, http503: 0, resets: 0, phases: 0, okByPhase: [] };

/** up → 503 → up → reset → … */
function mode() {
  const phase = flapMs === 0 ? 0 : Math.floor((Date.now() - started) / flapMs);
  stats.phases = phase + 1;
  while (stats.okByPhase.length < stats.phases) stats.okByPhase.push(0);
  if (phase % 2 === 0) return 'up';
  return phase % 4 === 1 ? '503' : 'reset';
}

/** Every method gets "0x1": a valid chain id and block number, so health checks pass too. */
function reply(request) {
  return { jsonrpc: '2.0', id: request?.id ?? null, result: '0x1' };
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ...stats, mode: mode() }));
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const current = mode();
    if (current === 'reset') {
      stats.resets++;
      req.socket.destroy();
      return;
    }
    if (current === '503') {
      stats.http503++;
      res.writeHead(503, { 'content-type': 'text/plain' }).end('flapping: unavailable');
      return;
    }
    stats.ok++;
    stats.okByPhase[stats.phases - 1]++;
    let body;
    try {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      body = JSON.stringify(Array.isArray(parsed) ? parsed.map(reply) : reply(parsed));
    } catch {
      body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } });
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
});

server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  console.log(`ready http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
