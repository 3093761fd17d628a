// Request-path cost of the consistency features (not-yet retries and eth_getLogs splitting), in
// the same run: one build, two gateways in their own processes in front of one anvil — `on`
// (notYetRetry and logSplit enabled, the upstream with logs.maxBlockRange 2000) and `off` (both
// disabled) — with wrk alternating between them. No cache: every request goes to anvil.
//
//   npm run build && node benchmarks/late-reads-ab.mjs [dist dir]
//
// Workloads: a block by number (watched, found), a receipt of an unknown transaction (watched,
// `null`: the whole not-yet check runs and finds no better upstream), a two-block eth_getLogs
// (the splitter's check, then the not-yet check), and eth_gasPrice (not watched). Prints the
// gateway process's CPU µs per request (from /proc) for each round, the median on − off
// difference and the on/off ratio. Env: AB_ROUNDS (3), AB_SECONDS (3), AB_CONNECTIONS (16).
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { cpuPerRequest } from './lib/ab-cpu.mjs';

const dist = resolve(process.argv[2] ?? 'dist');
const rounds = Number(process.env.AB_ROUNDS ?? 3);
const seconds = Number(process.env.AB_SECONDS ?? 3);
const connections = Number(process.env.AB_CONNECTIONS ?? 16);

const rpc = (method, params) => JSON.stringify({ jsonrpc: '2.0', id: 7, method, params });
const WORKLOADS = {
  'block by number': rpc('eth_getBlockByNumber', ['0x2', false]),
  'null receipt': rpc('eth_getTransactionReceipt', [`0x${'ab'.repeat(32)}`]),
  'getLogs 2 blocks': rpc('eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x2' }]),
  'gasPrice (not watched)': rpc('eth_gasPrice', []),
};

const { startAnvil } = await import(join(dist, 'dev/anvil.js'));
const anvil = await startAnvil();
await post(anvil.url, rpc('anvil_mine', ['0x14']));

function startGateway(on) {
  const network = {
    cache: { enabled: false },
    notYetRetry: { enabled: on },
    logSplit: { enabled: on },
    upstreams: [{ url: anvil.url, logs: on ? { maxBlockRange: 2000 } : {} }],
  };
  const script = `
    const { createGateway } = await import(${JSON.stringify(join(dist, 'gateway.js'))});
    const gateway = createGateway({ logging: { level: 'silent' }, networks: { anvil: ${JSON.stringify(network)} } });
    const { url } = await gateway.listen(0, '127.0.0.1');
    console.log(url);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((done) =>
    child.stdout.once('data', (chunk) => done({ child, url: `${chunk.toString().trim()}/anvil` })),
  );
}

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return res.text();
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const targets = { off: await startGateway(false), on: await startGateway(true) };
try {
  for (const { url } of Object.values(targets))
    for (const body of Object.values(WORKLOADS)) {
      for (let i = 0; i < 20; i++) await post(url, body);
      const text = await post(url, body);
      if (!text.includes('"result"')) throw new Error(`unexpected answer at ${url}: ${text.slice(0, 200)}`);
    }
  const results = Object.fromEntries(Object.keys(WORKLOADS).map((w) => [w, { off: [], on: [] }]));
  for (let round = 0; round < rounds; round++)
    for (const [workload, body] of Object.entries(WORKLOADS))
      for (const [name, { child, url }] of round % 2 === 0
        ? Object.entries(targets)
        : Object.entries(targets).reverse())
        results[workload][name].push(await cpuPerRequest(child.pid, url, body, { connections, seconds }));
  for (const [workload, { off, on }] of Object.entries(results)) {
    const diffs = on.map((value, index) => value - off[index]);
    console.log(
      `${workload.padEnd(24)} CPU µs/request: off ${off.map((v) => v.toFixed(1)).join('/')}, ` +
        `on ${on.map((v) => v.toFixed(1)).join('/')}; median on − off ${median(diffs).toFixed(2)} µs, ` +
        `on/off ${(median(on) / median(off)).toFixed(3)}`,
    );
  }
} finally {
  for (const { child } of Object.values(targets)) child.kill();
  await anvil.stop();
}
