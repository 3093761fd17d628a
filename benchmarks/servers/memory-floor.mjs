// The runtime's floor for answering from memory: node:net, one process per core, framing
// HTTP/1.1 requests by Content-Length and answering each with a prepared response looked up by
// the request body in a Map — no header parsing beyond that, no JSON, no validation, no metrics.
// What a cache hit in Turnpike costs above it is gateway work; what this floor costs is Node and
// the kernel. Not a usable server: no chunked bodies, no limits, no errors beyond a 404.
// Usage: node memory-floor.mjs <port> <answers.json: { "<body>": "<response body>" }> <workers>
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { announceReady, forkWorkers } from './fork-workers.mjs';

const [port, answersFile, workersArg] = process.argv.slice(2);
if (!port || !answersFile) {
  console.error('usage: memory-floor.mjs <port> <answers.json> [workers]');
  process.exit(2);
}
const workers = Math.max(1, Number(workersArg) || 1);

if (!forkWorkers(port, workers)) {
  const responses = new Map();
  for (const [body, answer] of Object.entries(JSON.parse(readFileSync(answersFile, 'utf8')))) {
    const bytes = Buffer.from(answer);
    const head = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${bytes.length}\r\n\r\n`;
    responses.set(body, Buffer.concat([Buffer.from(head, 'latin1'), bytes]));
  }
  const notFound = Buffer.from('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n', 'latin1');
  const HEAD_END = Buffer.from('\r\n\r\n');
  const LENGTH = /\r\ncontent-length:\s*(\d+)/i;

  const server = net.createServer({ noDelay: true }, (socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const out = [];
      for (;;) {
        const headEnd = pending.indexOf(HEAD_END);
        if (headEnd === -1) break;
        const match = LENGTH.exec(pending.latin1Slice(0, headEnd));
        const length = match ? Number(match[1]) : 0;
        const end = headEnd + 4 + length;
        if (pending.length < end) break;
        out.push(responses.get(pending.utf8Slice(headEnd + 4, end)) ?? notFound);
        pending = pending.subarray(end);
      }
      if (out.length === 1) socket.write(out[0]);
      else if (out.length > 1) socket.write(Buffer.concat(out));
    });
    socket.on('error', () => socket.destroy());
  });
  server.listen(Number(port), '127.0.0.1', () => {
    announceReady(port);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
