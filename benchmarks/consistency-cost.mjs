// The CPU the consistency layer adds to one request, without the noise of sockets: a real
// Network (its upstreams never connect) whose `handle` answers at once, called per request
// directly (off) or through Consistency.open + RequestConsistency.handle (on), for a block read
// by number, eth_getBalance at `latest` and eth_blockNumber. Prints CPU ns per request for each and
// the difference (process CPU time, so other load on the machine skews it less); rounds
// alternate off/on.
//
//   npm run build && node benchmarks/consistency-cost.mjs [dist dir]
import { join, resolve } from 'node:path';

const dist = resolve(process.argv[2] ?? 'dist');
const { configSchema } = await import(join(dist, 'config/schema.js'));
const { Network } = await import(join(dist, 'network/network.js'));
const { Consistency } = await import(join(dist, 'network/consistency/consistency.js'));

const config = configSchema.parse({
  consistency: { enabled: true },
  networks: {
    raw: {
      cache: { enabled: false },
      upstreams: [{ url: 'http://127.0.0.1:9' }, { url: 'http://127.0.0.1:10' }],
    },
  },
});
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const network = new Network('raw', config.networks.raw, silent, { probes: false });
network.upstreams[0].noteHead(100, Date.now());
network.upstreams[1].noteHead(98, Date.now());
const consistency = new Consistency({ config: config.consistency, networks: [network] });

const request = (method, params) => {
  const raw = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  return { id: 1, method, params, raw };
};
const answers = {
  'by number': [request('eth_getBlockByNumber', ['0x2', false]), { ok: true, body: '{}', rpcError: false }],
  'balance@latest': [
    request('eth_getBalance', ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', 'latest']),
    {
      ok: true,
      body: '{"jsonrpc":"2.0","id":1,"result":"0x1"}',
      rpcError: false,
      parsed: true,
      result: '0x1',
    },
  ],
  blockNumber: [
    request('eth_blockNumber', []),
    {
      ok: true,
      body: '{"jsonrpc":"2.0","id":1,"result":"0x64"}',
      rpcError: false,
      parsed: true,
      result: '0x64',
    },
  ],
};
let current;
network.handle = (_request, _timing, route) => {
  if (route !== undefined) route.served = network.upstreams[0];
  return current;
};
const headers = { 'content-type': 'application/json', 'user-agent': 'wrk', host: '127.0.0.1' };
const timing = { selectMs: 0, upstreamMs: 0, attempts: 0, upstream: undefined, cacheMs: undefined };
const N = 200_000;

/** The pipeline's hook as pipeline.ts has it: one await of either path. */
async function run(on, req) {
  const start = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    // 64 client IPs, as many sessions.
    const call = on ? consistency.open(network, headers, undefined, `10.0.0.${i & 63}`) : undefined;
    await (call === undefined ? network.handle(req, timing) : call.handle(req, timing));
  }
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / N;
}

for (const [name, [req, answer]] of Object.entries(answers)) {
  current = answer;
  const off = [];
  const on = [];
  for (let round = 0; round < 6; round++) {
    for (const on_ of round % 2 === 0 ? [false, true] : [true, false])
      (on_ ? on : off).push(await run(on_, req));
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(
    `${name.padEnd(16)} off ${median(off).toFixed(0)} ns, on ${median(on).toFixed(0)} ns, added ${(median(on) - median(off)).toFixed(0)} ns per request`,
  );
}
await network.close();
