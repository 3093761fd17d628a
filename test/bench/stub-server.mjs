// A JSON-RPC stub with a known service time and known stalls, run as a child process so the
// generator under test never shares its event loop:
//   node stub-server.mjs '{"serviceMs":2,"stallMs":200,"stallEveryMs":2000}'
// Prints "listening <port>". Every answer waits serviceMs (a timer), carries a Server-Timing
// header with its own time, and every stallEveryMs the whole process blocks for stallMs.
import http from 'node:http';

const options = {
  serviceMs: 2,
  stallMs: 0,
  stallEveryMs: 0,
  port: 0,
  ...JSON.parse(process.argv[2] ?? '{}'),
};
const BODY = Buffer.from('{"jsonrpc":"2.0","id":1,"result":"0x1"}');

const server = http.createServer((req, res) => {
  const start = performance.now();
  req.resume();
  req.on('end', () => {
    const answer = () => {
      const total = performance.now() - start;
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': BODY.length,
        'server-timing': `upstream;dur=${(total * 0.8).toFixed(3)}, total;dur=${total.toFixed(3)}`,
      });
      res.end(BODY);
    };
    if (options.serviceMs > 0) setTimeout(answer, options.serviceMs);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;

if (options.stallMs > 0 && options.stallEveryMs > 0) {
  setInterval(() => {
    const end = performance.now() + options.stallMs;
    while (performance.now() < end) {
      // The stall: nothing else runs in this process.
    }
  }, options.stallEveryMs);
}

server.listen(options.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
