// The chain alone over time: the batch contract called directly (pre-signed transferBatch × 250
// to fresh recipients, no Turnpike) at a rate for a while, anvil's CPU printed every 20 s. It
// tells a relayer run that falls behind after minutes (docs/benchmarks.md "Relayer") whether the
// node slows by itself.
//
//   npm run build && node benchmarks/anvil-soak.mjs [rate=2100] [seconds=240] [unique|reused]

import { randomBytes } from 'node:crypto';
import { generatePrivateKey } from 'viem/accounts';
import { stopChild } from './lib/children.mjs';
import { cpuMeter } from './lib/proc-stats.mjs';
import { runDirectBaseline, startBenchAnvil, startIntervalMining } from './lib/relayer-chain.mjs';

const rate = Number(process.argv[2] ?? 2100),
  seconds = Number(process.argv[3] ?? 240),
  recipients = process.argv[4] ?? 'unique';
const { deployDemoContracts } = await import('turnpike/dev');
const anvil = await startBenchAnvil({ gasLimit: 300_000_000 });
const keys = Array.from({ length: 16 }, () => generatePrivateKey());
const contracts = await deployDemoContracts({
  rpcUrl: anvil.url,
  signerKeys: keys,
  mintPerSigner: 10n ** 30n,
});
await startIntervalMining(anvil.url, 1);
const meter = cpuMeter(anvil.child.pid);
let last = 0;
const t0 = Date.now();
const timer = setInterval(() => {
  const c = meter();
  console.error(`${((Date.now() - t0) / 1000).toFixed(0)}s anvil ${(c - last) / 20} cores`);
  last = c;
}, 20_000);
const r = await runDirectBaseline({
  url: anvil.url,
  keys,
  token: contracts.token,
  batchContract: contracts.batchContract,
  rate,
  seconds,
  batchSize: 250,
  blockTime: 1,
  recipients,
  tag: randomBytes(4).toString('hex'),
});
clearInterval(timer);
console.log(
  JSON.stringify({
    mined: r.confirmedPerSecond,
    inclusion: r.inclusionMs,
    reverted: r.reverted,
    rejected: r.rejected,
  }),
);
await stopChild(anvil.child);
process.exit(0);
