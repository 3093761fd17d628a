// The CPU the not-yet stage adds to one request, in process and without the network noise of
// late-reads-ab.mjs: `settle` over an already forwarded answer (a found block; a `null` receipt
// that finds no better upstream) against returning the answer as it is, alternating, same run.
//
//   node --import tsx benchmarks/consistency-check-micro.mjs
import { networkSchema } from '../src/config/schema.ts';
import { NotYetRetry } from '../src/network/not-yet-retry.ts';
import { Upstream } from '../src/upstream/upstream.ts';

const config = networkSchema.parse({ upstreams: [{ url: 'http://127.0.0.1:9/' }] });
const upstream = new Upstream(config.upstreams[0], 0, 'bench', config);
upstream.head = 100;
const ctx = { network: 'bench', owner: {}, upstreams: [upstream], failsafe: config.failsafe, onResult() {} };
const stage = new NotYetRetry(ctx, config.notYetRetry);
const raw = (method, params) => ({ id: 1, method, params, raw: Buffer.from('') });
const cases = {
  'block found': [
    raw('eth_getBlockByNumber', ['0x50', false]),
    { ok: true, body: '', rpcError: false, parsed: true, result: { number: '0x50' } },
  ],
  'null receipt': [
    raw('eth_getTransactionReceipt', [`0x${'ab'.repeat(32)}`]),
    { ok: true, body: '', rpcError: false, parsed: true, result: null },
  ],
};
const N = 200_000;
async function run(withStage, request, answer) {
  const timing = { selectMs: 0, upstreamMs: 0, attempts: 1, upstream: upstream.id, cacheMs: undefined };
  const started = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const pending = Promise.resolve(answer);
    if (withStage && stage.watches(request.method))
      await stage.settle(pending, request, '', timing, performance.now());
    else await pending;
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / N;
}
for (const [name, [request, answer]] of Object.entries(cases)) {
  const off = [];
  const on = [];
  for (let round = 0; round < 5; round++) {
    off.push(await run(false, request, answer));
    on.push(await run(true, request, answer));
  }
  const median = (values) => [...values].sort((a, b) => a - b)[2];
  console.log(
    `${name.padEnd(14)} CPU µs per request: off ${median(off).toFixed(3)}, on ${median(on).toFixed(3)}, added ${(median(on) - median(off)).toFixed(3)}`,
  );
}
await upstream.close();
