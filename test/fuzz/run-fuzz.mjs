// `npm run fuzz [-- <vitest filters>]`: the property tests of test/fuzz, long. Picks a random seed
// unless FUZZ_SEED is set and prints it first, so any failure reproduces with
// `FUZZ_SEED=<seed> FUZZ_RUNS=<runs> npm run fuzz`. FUZZ_RUNS defaults to 1,000,000 cases per
// property of weight 1 (hours); FUZZ_SECONDS bounds each property instead. Ctrl-C stops it.
// See docs/fuzzing.md.
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';

const seed = process.env.FUZZ_SEED ?? String(randomInt(2 ** 31 - 1));
const runs = process.env.FUZZ_RUNS ?? '1000000';
const seconds = process.env.FUZZ_SECONDS ?? '0';
const filters = process.argv.slice(2);

console.log(
  `fuzz: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} FUZZ_SECONDS=${seconds} ${filters.join(' ') || 'test/fuzz'}`,
);
const child = spawn(
  'npx',
  ['vitest', 'run', '--project', 'suite', ...(filters.length > 0 ? filters : ['test/fuzz'])],
  {
    stdio: 'inherit',
    env: { ...process.env, FUZZ_SEED: seed, FUZZ_RUNS: runs, FUZZ_SECONDS: seconds },
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  console.log(`fuzz: seed ${seed} ${code === 0 ? 'passed' : `ended (${signal ?? `exit ${code}`})`}`);
  process.exit(code ?? 1);
});
