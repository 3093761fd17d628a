// A/B of the JSON byte scanners between two builds, in one process: the batch splitter, the
// request shape, the item scan, the raw id range and the cached result's bytes, each timed in
// CPU time per call (process.cpuUsage, so a busy shared machine skews it less), rounds
// interleaved, best round of each. Prints candidate/baseline ratios. See docs/benchmarks.md
// ("One JSON byte scanner").
//
//   node benchmarks/json-scan-ab.mjs <baseline dist dir> <candidate dist dir>
//
// Env: SCAN_ROUNDS (7), SCAN_ONLY (a substring of a case name: run only those; alone, a case
// keeps V8's type feedback to itself, as a gateway serving one kind of request would).
import { resolve } from 'node:path';

const [baseDir, candidateDir] = process.argv.slice(2).map((dir) => resolve(dir));
if (baseDir === undefined || candidateDir === undefined) {
  console.error('usage: node benchmarks/json-scan-ab.mjs <baseline dist> <candidate dist>');
  process.exit(2);
}
const rounds = Number(process.env.SCAN_ROUNDS ?? 7);
const only = process.env.SCAN_ONLY;

async function load(dir) {
  return {
    split: (await import(`${dir}/rpc/split-batch.js`)).splitTopLevelArray,
    shape: (await import(`${dir}/rpc/request-shape.js`)).requestShape,
    scan: (await import(`${dir}/rpc/item-scan.js`)).scanItem,
    idRange: (await import(`${dir}/rpc/raw-id.js`)).idValueRange,
    result: (await import(`${dir}/cache/result-bytes.js`)).extractResultBytes,
  };
}
const builds = { baseline: await load(baseDir), candidate: await load(candidateDir) };

const block = (id) => `{"jsonrpc":"2.0","id":${id},"method":"eth_getBlockByNumber","params":["0x2",false]}`;
const call = Buffer.from(
  `{"jsonrpc":"2.0","id":5,"method":"eth_call","params":[{"to":"0x${'ab'.repeat(20)}","data":"0x${'cd'.repeat(200)}"},"latest"]}`,
);
const blockBody = Buffer.from(block(7));
const batch = Buffer.from(`[${block(1)},${block(2)},${block(3)}]`);
const tx = (i) => ({
  hash: `0x${'1'.repeat(64)}`,
  nonce: `0x${i.toString(16)}`,
  input: `0x${'ab'.repeat(100)}`,
  to: `0x${'2'.repeat(40)}`,
  v: '0x1',
  accessList: [],
});
const fullBlock = Buffer.from(
  JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    result: {
      number: '0x10',
      transactions: Array.from({ length: 100 }, (_, i) => tx(i)),
      logsBloom: `0x${'0'.repeat(512)}`,
    },
  }),
);
const smallResult = Buffer.from('{"jsonrpc":"2.0","id":1,"result":"0x1234"}');
const response = Buffer.from('{"jsonrpc":"2.0","id":1,"result":{"a":[1,2,3],"b":"x"}}');

const CASES = {
  'split batch of 3': (m) => m.split(batch, 0),
  'shape block request': (m) => m.shape(blockBody),
  'shape eth_call request': (m) => m.shape(call),
  'scanItem block request': (m) => m.scan(blockBody),
  'scanItem eth_call request': (m) => m.scan(call),
  'idValueRange response': (m) => m.idRange(response),
  'result small': (m) => m.result(smallResult),
  'result 30 KB block': (m) => m.result(fullBlock),
};

const cpuNs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};
let sink = 0;
/** CPU ns per call of `fn` on `build` over about `ms` ms of CPU. */
function time(fn, build, ms) {
  let calls = 0;
  const start = cpuNs();
  let now = start;
  while (now - start < ms * 1e6) {
    for (let i = 0; i < 200; i++) if (fn(build) != null) sink++;
    calls += 200;
    now = cpuNs();
  }
  return (now - start) / calls;
}

for (const [name, fn] of Object.entries(CASES)) {
  if (only !== undefined && !name.includes(only)) continue;
  time(fn, builds.baseline, 200);
  time(fn, builds.candidate, 200);
  const best = { baseline: Infinity, candidate: Infinity };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
    for (const which of order) best[which] = Math.min(best[which], time(fn, builds[which], 150));
  }
  console.log(
    `${name.padEnd(26)} baseline ${best.baseline.toFixed(1)} ns  candidate ${best.candidate.toFixed(1)} ns  ratio ${(best.candidate / best.baseline).toFixed(3)}`,
  );
}
if (sink === 0) console.log('(no results)');
