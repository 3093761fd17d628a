// The relayer's intake validation between two builds, in the same process and run: the body of
// `POST /v1/transfers` (and its Idempotency-Key header) checked as the route does, on realistic
// bodies, a single transfer and a batch of 100, with EIP-55 checksummed recipients (a keccak
// each) and with lowercase ones (the cheapest path, where validation overhead shows most).
//
//   node benchmarks/relayer-intake-validation.mjs <baseline dist> <candidate dist>
//
// Prints ns of CPU time per transfer for each build (the median of alternating rounds), the difference, and,
// for scale, what JSON.parse of the same body costs per transfer. Env: ROUNDS (7), MS (300 per
// round and build).
import { join, resolve } from 'node:path';
import { getAddress } from 'viem';

const [baseDir, candidateDir] = process.argv.slice(2).map((dir) => resolve(dir));
if (baseDir === undefined || candidateDir === undefined) {
  console.error('usage: node benchmarks/relayer-intake-validation.mjs <baseline dist> <candidate dist>');
  process.exit(2);
}
const rounds = Number(process.env.ROUNDS ?? 7);
const roundMs = Number(process.env.MS ?? 300);

/** The route's intake validation of one build: the header key, then the body. */
async function intake(dist) {
  const api = join(dist, 'relayer/api');
  const { parseTransfersBody } = await import(join(api, 'transfer-body.js'));
  const fields = await import(join(api, 'transfer-fields.js'));
  const rules = fields.transferRules({
    tokens: { USDC: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
    maxTransfersPerRequest: 100,
    maxMemoBytes: 256,
  });
  if (fields.checkIdempotencyKey !== undefined) {
    const { checkIdempotencyKey } = fields;
    return (body, key) => {
      if (!checkIdempotencyKey(key).ok) throw new Error('key refused');
      return parseTransfersBody(body, rules);
    };
  }
  const { collectCompiled } = await import(join(dist, 'http/validation.js'));
  const { IssueList } = await import(join(dist, 'errors/issues.js'));
  const { idempotencyKeyCheck, RELAYER_INPUT } = await import(join(api, 'transfer-schemas.js'));
  return (body, key) => {
    const issues = new IssueList();
    if (collectCompiled(idempotencyKeyCheck, key, issues, RELAYER_INPUT, 'Idempotency-Key') === undefined)
      throw new Error('key refused');
    return parseTransfersBody(body, rules);
  };
}

/** Deterministic distinct recipients. */
function recipient(i, checksummed) {
  const hex = (BigInt(i + 1) * 0x9e3779b97f4a7c15n).toString(16).padStart(40, 'a').slice(0, 40);
  const lower = `0x${hex}`;
  return checksummed ? getAddress(lower) : lower;
}

function transfer(i, checksummed) {
  const t = { token: 'USDC', to: recipient(i, checksummed), amount: String(1_000_000 + i * 17) };
  if (i % 4 === 0) t.memo = `order ${i}`;
  return t;
}

const WORKLOADS = [];
for (const checksummed of [true, false]) {
  const kind = checksummed ? 'EIP-55 recipients' : 'lowercase recipients';
  WORKLOADS.push({ name: `single, ${kind}`, text: JSON.stringify(transfer(7, checksummed)), count: 1 });
  const batch = { transfers: Array.from({ length: 100 }, (_, i) => transfer(i, checksummed)) };
  WORKLOADS.push({ name: `batch of 100, ${kind}`, text: JSON.stringify(batch), count: 100 });
}

/**
 * ns of CPU time (user + system: a busy shared machine skews it far less than wall time) per
 * transfer of `fn(body)`, run for about `ms` of wall time.
 */
function measure(fn, body, count, ms) {
  let iterations = 0;
  let sink = 0;
  const end = performance.now() + ms;
  const cpu = process.cpuUsage();
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) sink += fn(body).transfers.length;
    iterations += 50;
  }
  const used = process.cpuUsage(cpu);
  if (sink === 0) throw new Error('nothing parsed');
  return ((used.user + used.system) * 1000) / iterations / count;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const builds = { baseline: await intake(baseDir), candidate: await intake(candidateDir) };
const key = 'order-2026-12-07-0001';

console.log(`baseline ${baseDir}\ncandidate ${candidateDir}\n${rounds} rounds × ${roundMs} ms per build\n`);
console.log(
  'workload                              JSON.parse  baseline  candidate  difference (ns/transfer)',
);
for (const workload of WORKLOADS) {
  const body = JSON.parse(workload.text);
  const samples = { baseline: [], candidate: [], parse: [] };
  // Same answers first: a benchmark of two validators that disagree measures nothing.
  const a = builds.baseline(body, key);
  const b = builds.candidate(body, key);
  if (JSON.stringify(a, big) !== JSON.stringify(b, big)) throw new Error(`${workload.name}: answers differ`);
  for (let round = 0; round < rounds; round++) {
    // Alternate which build goes first, so warm-up and drift fall on both.
    const order = round % 2 === 0 ? ['baseline', 'candidate'] : ['candidate', 'baseline'];
    for (const name of order)
      samples[name].push(measure((input) => builds[name](input, key), body, workload.count, roundMs));
    samples.parse.push(
      measure(
        () => ({ transfers: JSON.parse(workload.text).transfers ?? [1] }),
        null,
        workload.count,
        roundMs / 3,
      ),
    );
  }
  const base = median(samples.baseline);
  const cand = median(samples.candidate);
  console.log(
    `${workload.name.padEnd(38)}${fmt(median(samples.parse))}${fmt(base)} ${fmt(cand)}  ${sign(cand - base)}${fmt(cand - base).trim()} (${sign(cand - base)}${(((cand - base) / base) * 100).toFixed(1)}%)`,
  );
}

function big(_key, value) {
  return typeof value === 'bigint' ? `${value}n` : value;
}

function fmt(ns) {
  return Math.round(Math.abs(ns)).toString().padStart(10);
}

function sign(n) {
  return n < 0 ? '-' : '+';
}
