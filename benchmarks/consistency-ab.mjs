// A/B of consistency on vs off (docs/consistency.md), same build, same run: two gateways of one
// dist in their own processes in front of one anvil, wrk alternating between them.
//
//   npm run build && node benchmarks/consistency-ab.mjs [dist dir]
//
// Workloads: a known-shape cache hit (the fast path: only the directive header reads and the
// per-request object are added), a proxied block read by number (not a `latest` read: session
// peek only), a proxied eth_getBalance at `latest` and a proxied eth_blockNumber (the session's
// mark read, routed selection and the mark raised from the answer). Keyless requests without a
// session header: every connection is one session (the client IP). Prints the gateway
// process's CPU time per request (from /proc) per round, the on−off difference of the medians in
// µs, and their ratio. Env: AB_ROUNDS (3), AB_SECONDS (3), AB_CONNECTIONS (16).
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { cpuPerRequest } from './lib/ab-cpu.mjs';

const dist = resolve(process.argv[2] ?? 'dist');
const rounds = Number(process.env.AB_ROUNDS ?? 3);
const seconds = Number(process.env.AB_SECONDS ?? 3);
const connections = Number(process.env.AB_CONNECTIONS ?? 16);

const call = (method, params) => `{"jsonrpc":"2.0","id":7,"method":"${method}","params":${params}}`;
const WORKLOADS = {
  'known-shape hit': ['anvil', call('eth_getBlockByNumber', '["0x2",false]')],
  'proxied by number': ['raw', call('eth_getBlockByNumber', '["0x2",false]')],
  'proxied balance@latest': [
    'raw',
    call('eth_getBalance', '["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","latest"]'),
  ],
  'proxied blockNumber': ['raw', call('eth_blockNumber', '[]')],
};

const { startAnvil } = await import(join(dist, 'dev/anvil.js'));
const anvil = await startAnvil();
await post(anvil.url, '{"jsonrpc":"2.0","id":1,"method":"anvil_mine","params":["0x14"]}');

/** A gateway of `dist` in a child process, consistency on or off; resolves with its base URL. */
function startGateway(consistency) {
  const upstreams = JSON.stringify([{ url: anvil.url }]);
  const script = `
    const { createGateway } = await import(${JSON.stringify(join(dist, 'gateway.js'))});
    const gateway = createGateway({ logging: { level: 'silent' },
      consistency: { enabled: ${consistency} },
      networks: {
        anvil: { upstreams: ${upstreams}, cache: { finality: 'depth', depth: 5, headPollMs: 200 } },
        raw: { upstreams: ${upstreams}, cache: { enabled: false } } } });
    const { url } = await gateway.listen(0, '127.0.0.1');
    console.log(url);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((done) =>
    child.stdout.once('data', (chunk) => done({ child, base: chunk.toString().trim() })),
  );
}

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { text: await res.text(), xCache: res.headers.get('x-cache') };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const targets = { off: await startGateway(false), on: await startGateway(true) };
try {
  for (const { base } of Object.values(targets)) {
    for (const [network, body] of Object.values(WORKLOADS)) {
      for (let i = 0; i < 20; i++) await post(`${base}/${network}`, body);
      const { text, xCache } = await post(`${base}/${network}`, body);
      if (!text.includes('"result"') || (network === 'anvil' && xCache !== 'HIT'))
        throw new Error(`unexpected answer at ${base}/${network}: ${xCache} ${text.slice(0, 200)}`);
    }
  }
  const results = Object.fromEntries(Object.keys(WORKLOADS).map((w) => [w, { off: [], on: [] }]));
  for (let round = 0; round < rounds; round++)
    for (const [workload, [network, body]] of Object.entries(WORKLOADS))
      for (const [name, { child, base }] of round % 2 === 0
        ? Object.entries(targets)
        : Object.entries(targets).reverse())
        results[workload][name].push(
          await cpuPerRequest(child.pid, `${base}/${network}`, body, { connections, seconds }),
        );
  for (const [workload, { off, on }] of Object.entries(results)) {
    const a = median(off);
    const b = median(on);
    console.log(
      `${workload.padEnd(24)} CPU per request: off ${off.map((v) => v.toFixed(1)).join('/')} µs, ` +
        `on ${on.map((v) => v.toFixed(1)).join('/')} µs, median on−off ${(b - a).toFixed(2)} µs, ratio ${(b / a).toFixed(3)}`,
    );
  }
} finally {
  for (const { child } of Object.values(targets)) child.kill();
  await anvil.stop();
}
