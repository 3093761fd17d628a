// A/B of the JSON-RPC request path between two builds, in the same run: each build's gateway in
// its own process in front of one anvil, wrk alternating between them, cache hits only.
//
//   node benchmarks/rpc-parse-ab.mjs <baseline dist dir> <candidate dist dir>
//
// Workloads: a known-shape hit (the fast path), a single hit on the usual path (an id the shape
// path does not take: non-ASCII), a batch of three hits, and a proxied request (a network with
// no cache: every request goes to anvil; only the gateway's own CPU is counted). Prints the gateway process's CPU time
// per request (from /proc, so a busy shared machine skews it far less than requests/s) for each
// round, and the candidate/baseline ratio of the medians. Env: AB_ROUNDS (3), AB_SECONDS (3),
// AB_CONNECTIONS (16).
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { cpuPerRequest } from './lib/ab-cpu.mjs';

const [baseDir, candidateDir] = process.argv.slice(2).map((dir) => resolve(dir));
if (baseDir === undefined || candidateDir === undefined) {
  console.error('usage: node benchmarks/rpc-parse-ab.mjs <baseline dist> <candidate dist>');
  process.exit(2);
}
const rounds = Number(process.env.AB_ROUNDS ?? 3);
const seconds = Number(process.env.AB_SECONDS ?? 3);
const connections = Number(process.env.AB_CONNECTIONS ?? 16);

const block = (id) => `{"jsonrpc":"2.0","id":${id},"method":"eth_getBlockByNumber","params":["0x2",false]}`;
const WORKLOADS = {
  'known-shape hit': block('7'),
  'usual-path hit': block('"é"'),
  'batch of 3 hits': `[${block('1')},${block('2')},${block('3')}]`,
  proxied: block('7'),
};
/** Workloads sent to the network without a cache. */
const UNCACHED = new Set(['proxied']);

const { startAnvil } = await import(join(candidateDir, 'dev/anvil.js'));
const anvil = await startAnvil();
await post(anvil.url, '{"jsonrpc":"2.0","id":1,"method":"anvil_mine","params":["0x14"]}');

/** A gateway of `dist` in a child process; resolves with its network URL. */
function startGateway(dist) {
  const script = `
    const { createGateway } = await import(${JSON.stringify(join(dist, 'gateway.js'))});
    const gateway = createGateway({ logging: { level: 'silent' }, networks: { anvil: {
      upstreams: [{ url: ${JSON.stringify(anvil.url)} }],
      cache: { finality: 'depth', depth: 5, headPollMs: 200 } },
      raw: { upstreams: [{ url: ${JSON.stringify(anvil.url)} }] } } });
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

const urlOf = (base, workload) => `${base}/${UNCACHED.has(workload) ? 'raw' : 'anvil'}`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const targets = { baseline: await startGateway(baseDir), candidate: await startGateway(candidateDir) };
try {
  for (const { base } of Object.values(targets)) {
    for (const [workload, body] of Object.entries(WORKLOADS)) {
      const url = urlOf(base, workload);
      for (let i = 0; i < 20; i++) await post(url, body);
      const { xCache, text } = await post(url, body);
      if (UNCACHED.has(workload) ? !text.includes('"result"') : !xCache?.startsWith('HIT'))
        throw new Error(`unexpected answer at ${url}: ${xCache} ${text.slice(0, 200)}`);
    }
  }
  const results = Object.fromEntries(Object.keys(WORKLOADS).map((w) => [w, { baseline: [], candidate: [] }]));
  for (let round = 0; round < rounds; round++)
    for (const [workload, body] of Object.entries(WORKLOADS))
      for (const [name, { child, base }] of round % 2 === 0
        ? Object.entries(targets)
        : Object.entries(targets).reverse()) {
        const us = await cpuPerRequest(child.pid, urlOf(base, workload), body, { connections, seconds });
        results[workload][name].push(us);
      }
  for (const [workload, byTarget] of Object.entries(results)) {
    const base = median(byTarget.baseline);
    const candidate = median(byTarget.candidate);
    console.log(
      `${workload.padEnd(16)} CPU per request: baseline ${byTarget.baseline.map((v) => v.toFixed(1)).join('/')} µs, ` +
        `candidate ${byTarget.candidate.map((v) => v.toFixed(1)).join('/')} µs, ` +
        `median ratio ${(candidate / base).toFixed(3)}`,
    );
  }
} finally {
  for (const { child } of Object.values(targets)) child.kill();
  await anvil.stop();
}
