// Turnpike's own HTTP/1.1 server (`turnpike/http1`, from the build) with the floor's work as its
// handler: the answer looked up by the request body in a Map and sent with the same headers
// Turnpike's hits carry (content-type, a request id, X-Cache, Server-Timing). Between the node:net
// floor and a real hit it separates what the HTTP layer costs from what routing, the cache and
// metrics cost.
// Usage: node http1-shell.mjs <port> <answers.json: { "<body>": "<response body>" }> <workers>
import { readFileSync } from 'node:fs';
import { announceReady, forkWorkers } from './fork-workers.mjs';

const [port, answersFile, workersArg] = process.argv.slice(2);
if (!port || !answersFile) {
  console.error('usage: http1-shell.mjs <port> <answers.json> [workers]');
  process.exit(2);
}
const workers = Math.max(1, Number(workersArg) || 1);

if (!forkWorkers(port, workers)) {
  const { Http1Server } = await import('turnpike/http1');
  const answers = new Map();
  for (const [body, answer] of Object.entries(JSON.parse(readFileSync(answersFile, 'utf8'))))
    answers.set(body, Buffer.from(answer));
  const notFound = Buffer.from('{"error":"unknown body"}');
  let counter = 0;
  const server = new Http1Server(
    {
      maxConnections: 10_000,
      maxHeaderBytes: 16_384,
      maxBodyBytes: 1 << 20,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxBufferedRequestBytes: 64 << 20,
    },
    (request, writer) => {
      const answer = answers.get(request.body.latin1Slice(0, request.body.length));
      const total = performance.now() - request.receivedAt;
      writer.end(
        answer === undefined ? 404 : 200,
        {
          'x-request-id': `${process.pid.toString(36)}-${(++counter).toString(36)}`,
          'content-type': 'application/json',
          'x-cache': 'HIT',
          'server-timing': `cache;dur=0.001, total;dur=${total.toFixed(3)}`,
        },
        answer ?? notFound,
      );
    },
  );
  await server.listen(Number(port), '127.0.0.1');
  announceReady(port);
  process.on('SIGTERM', () => process.exit(0));
}
