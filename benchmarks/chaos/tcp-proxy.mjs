// One "upstream listener" of the chaos fleet: a TCP pass-through on loopback in front of anvil,
// in a process of its own so the suite can `kill -9` it like a node going away, or drop its
// packets (iptables) like a partition. Bytes are piped unchanged, so the gateway's pools and
// keep-alive behave as against a real node.
//   node tcp-proxy.mjs <listenPort> <targetPort>
// Prints `ready http://127.0.0.1:<port>/` once listening.
import { createConnection, createServer } from 'node:net';

const [listenPort, targetPort] = process.argv.slice(2).map(Number);
if (!(listenPort > 0 && targetPort > 0)) {
  console.error('usage: node tcp-proxy.mjs <listenPort> <targetPort>');
  process.exit(2);
}

const server = createServer((client) => {
  const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
  // Either side failing ends both, as a node dying would.
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end).on('close', end);
  upstream.on('error', end).on('close', end);
  client.pipe(upstream);
  upstream.pipe(client);
});
server.listen({ host: '127.0.0.1', port: listenPort, backlog: 1024 }, () => {
  process.stdout.write(`ready http://127.0.0.1:${listenPort}/\n`);
});
