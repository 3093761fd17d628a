// `npm run bench:codec`: which codec should the cache use for values of 1 KiB and more? Real
// JSON-RPC results from a local anvil (blocks with full transactions, receipts, eth_getLogs
// ranges, eth_call answers, one synthetic 300-transaction block), compressed with every candidate
// through node:zlib's sync API. Prints stored size ÷ raw size and ns per operation for each size
// class, base64 as the anti-baseline, and the codec chosen by the rule below. See
// docs/benchmarks.md ("Cache value codec") and src/cache/codec.ts.
import os from 'node:os';
import { buildChainPayloads } from './lib/chain-payloads.mjs';
import { runBenchmark } from './lib/children.mjs';
import { BASE64, candidateCodecs, zstdSkipReason } from './lib/codecs.mjs';
import { machineInfo, writeResult } from './lib/machine.mjs';
import { fmt, table } from './lib/report.mjs';
import { median } from './lib/stats.mjs';

/** Values below this stay raw (config `cache.compressMinBytes`, default 1024). */
const MIN_BYTES = 1024;
const CLASSES = [
  { name: '1–4 KiB', min: 1024, max: 4096 },
  { name: '4–64 KiB', min: 4096, max: 65_536 },
  { name: '64 KiB–1 MiB', min: 65_536, max: 1_048_577 },
];
/** Payloads per kind (block, receipt, logs, eth_call) in a class, spread evenly over sizes. */
const PER_KIND = 10;
/** Each cell (class × codec × direction) uses at least this much CPU time per round. */
const CELL_MS = Number(process.env.CODEC_CELL_MS ?? 200);
/** Rounds; each figure is the median of the rounds, interleaved so drift hits every codec alike. */
const ROUNDS = Number(process.env.CODEC_ROUNDS ?? 5);

/**
 * The rule. A cached value is written once and read many times, so the CPU that matters is
 * compress + READS_PER_WRITE × decompress. Among codecs whose stored size is within
 * RATIO_SLACK of the smallest candidate in every class (memory in Redis is what compression
 * buys), choose the one with the lowest mean over the classes of that CPU per KiB of value.
 */
const READS_PER_WRITE = 10;
const RATIO_SLACK = 0.1;

/** Picks up to `max` items spread evenly over the list sorted by size. */
function spread(items, max) {
  const sorted = [...items].sort((a, b) => a.bytes.length - b.bytes.length);
  if (sorted.length <= max) return sorted;
  return Array.from({ length: max }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (max - 1))]);
}

function classify(payloads) {
  return CLASSES.map((cls) => {
    const inClass = payloads.filter((p) => p.bytes.length >= cls.min && p.bytes.length < cls.max);
    const kinds = [...new Set(inClass.map((p) => p.kind))];
    const picked = kinds.flatMap((kind) =>
      spread(
        inClass.filter((p) => p.kind === kind),
        PER_KIND,
      ),
    );
    const rawBytes = picked.reduce((sum, p) => sum + p.bytes.length, 0);
    return { ...cls, payloads: picked, inputs: picked.map((p) => p.bytes), rawBytes };
  });
}

/**
 * Runs `fn` over `inputs` round-robin until it has used at least `ms` of CPU; returns CPU and
 * wall-clock ns per call. CPU time (this process, GC threads included) is what the rule weighs:
 * unlike wall time it does not count the time other processes on a shared machine hold the core.
 */
function nsPerOp(fn, inputs, ms) {
  let ops = 0;
  let sink = 0;
  const budget = ms * 1e3;
  const wallStart = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let cpu = 0;
  while (cpu < budget) {
    for (const input of inputs) sink += fn(input).length;
    ops += inputs.length;
    const used = process.cpuUsage(cpuStart);
    cpu = used.user + used.system;
  }
  const wall = Number(process.hrtime.bigint() - wallStart);
  if (sink <= 0) throw new Error('nothing was produced');
  return { cpu: (cpu * 1e3) / ops, wall: wall / ops };
}

/** Stored bytes (format byte included; raw when compression does not shrink) and a round-trip check. */
function sizes(codec, cls) {
  let stored = 0;
  const compressed = cls.payloads.map((p) => {
    const out = codec.compress(p.bytes);
    if (!codec.decompress(out).equals(p.bytes))
      throw new Error(`${codec.name} does not round-trip ${p.label}`);
    stored += codec.family === 'base64' ? out.length : Math.min(out.length, p.bytes.length) + 1;
    return out;
  });
  return { stored, ratio: stored / cls.rawBytes, compressed };
}

function payloadTable(classes, all) {
  const rows = classes.map((cls) => {
    const kinds = {};
    for (const p of cls.payloads) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
    const lengths = cls.payloads.map((p) => p.bytes.length).sort((a, b) => a - b);
    return [
      cls.name,
      fmt(cls.payloads.length),
      Object.entries(kinds)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', '),
      `${fmt(lengths[0])} / ${fmt(median(lengths))} / ${fmt(lengths.at(-1))}`,
    ];
  });
  const below = all.filter((p) => p.bytes.length < MIN_BYTES).length;
  return `${table(['class', 'payloads', 'kinds', 'bytes min / median / max'], rows)}\n(${below} of ${all.length} results were below ${MIN_BYTES} bytes and stay raw)`;
}

async function main() {
  const started = Date.now();
  const info = machineInfo();
  console.log(`cache codec benchmark — ${info.date}, ${info.cpus} × ${info.cpuModel}, Node ${info.node}`);
  // Other work on the machine shows up as round spread; the load average says whether there was any.
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ');
  console.log(`load average (1 / 5 / 15 min) at start: ${load()}`);
  const { payloads, transactions, blocks } = await buildChainPayloads({ log: (line) => console.log(line) });
  console.log(`payloads: ${payloads.length} results from ${transactions} transactions in ${blocks} blocks`);
  const classes = classify(payloads);
  console.log(`\n${payloadTable(classes, payloads)}\n`);

  const skip = zstdSkipReason();
  if (skip) console.log(`zstd: skipped — ${skip}\n`);
  const codecs = [...candidateCodecs(), BASE64];

  // Sizes and correctness first (also warms every code path up), then timed rounds.
  const cells = new Map();
  for (const cls of classes) {
    for (const codec of codecs) {
      cells.set(`${cls.name}|${codec.name}`, { cls, codec, ...sizes(codec, cls), c: [], d: [], wall: [] });
    }
  }
  // An untimed warm-up round: the first timed pass of each cell ran 20–70 % slow (JIT, heap growth).
  process.stdout.write('warm-up...');
  for (const cell of cells.values()) {
    nsPerOp(cell.codec.compress, cell.cls.inputs, CELL_MS / 4);
    nsPerOp(cell.codec.decompress, cell.compressed, CELL_MS / 4);
  }
  process.stdout.write(` done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  for (let round = 1; round <= ROUNDS; round++) {
    process.stdout.write(`round ${round}/${ROUNDS}...`);
    for (const cell of cells.values()) {
      const c = nsPerOp(cell.codec.compress, cell.cls.inputs, CELL_MS);
      const d = nsPerOp(cell.codec.decompress, cell.compressed, CELL_MS);
      cell.c.push(c.cpu);
      cell.d.push(d.cpu);
      cell.wall.push(c.wall / c.cpu, d.wall / d.cpu);
    }
    process.stdout.write(` done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  }

  const results = classes.map((cls) => {
    const rows = codecs.map((codec) => {
      const cell = cells.get(`${cls.name}|${codec.name}`);
      const compressNs = median(cell.c);
      const decompressNs = median(cell.d);
      const meanKiB = cls.rawBytes / cls.payloads.length / 1024;
      return {
        codec: codec.name,
        family: codec.family,
        ratio: cell.ratio,
        compressNs,
        decompressNs,
        /** Largest ÷ smallest of the rounds, worst of the two directions: how stable the cell was. */
        /** Median wall ÷ CPU time: above 1 when the process waited for a core. */
        wallPerCpu: median(cell.wall),
        spread: Math.max(
          Math.max(...cell.c) / Math.min(...cell.c),
          Math.max(...cell.d) / Math.min(...cell.d),
        ),
        costNsPerKiB: (compressNs + READS_PER_WRITE * decompressNs) / meanKiB,
        compressMBs: (cls.rawBytes / cls.payloads.length / compressNs) * 1e3,
        decompressMBs: (cls.rawBytes / cls.payloads.length / decompressNs) * 1e3,
      };
    });
    const best = Math.min(...rows.filter((r) => r.family !== 'base64').map((r) => r.ratio));
    for (const row of rows)
      row.withinSlack = row.family !== 'base64' && row.ratio <= best * (1 + RATIO_SLACK);
    return {
      class: cls.name,
      payloads: cls.payloads.length,
      meanBytes: cls.rawBytes / cls.payloads.length,
      rows,
    };
  });

  for (const result of results) {
    console.log(`\n${result.class} (${result.payloads} payloads, mean ${fmt(result.meanBytes)} bytes)`);
    console.log(
      table(
        [
          'codec',
          'stored/raw',
          'compress CPU ns/op',
          'decompress CPU ns/op',
          'compress MB/s',
          'decompress MB/s',
          `c+${READS_PER_WRITE}d ns/KiB`,
          `≤${RATIO_SLACK * 100}% of best`,
          'round spread',
          'wall/CPU',
        ],
        result.rows.map((r) => [
          r.codec,
          `${fmt(r.ratio * 100, 1)} %`,
          fmt(r.compressNs),
          fmt(r.decompressNs),
          fmt(r.compressMBs),
          fmt(r.decompressMBs),
          fmt(r.costNsPerKiB),
          r.withinSlack ? 'yes' : 'no',
          `×${fmt(r.spread, 2)}`,
          fmt(r.wallPerCpu, 2),
        ]),
      ),
    );
  }

  // The rule, over all classes.
  const names = codecs.filter((c) => c.family !== 'base64').map((c) => c.name);
  const summary = names.map((name) => {
    const per = results.map((res) => res.rows.find((r) => r.codec === name));
    return {
      codec: name,
      eligible: per.every((r) => r.withinSlack),
      meanCostNsPerKiB: per.reduce((sum, r) => sum + r.costNsPerKiB, 0) / per.length,
      ratios: per.map((r) => r.ratio),
    };
  });
  const ranked = summary.filter((s) => s.eligible).sort((a, b) => a.meanCostNsPerKiB - b.meanCostNsPerKiB);
  console.log(
    `\nRule: among codecs within ${RATIO_SLACK * 100} % of the smallest stored size in every class, the lowest mean over classes of (compress + ${READS_PER_WRITE} × decompress) ns per KiB.`,
  );
  console.log(
    table(
      [
        'codec',
        ...results.map((r) => `stored/raw ${r.class}`),
        `mean c+${READS_PER_WRITE}d ns/KiB`,
        'eligible',
      ],
      [...summary]
        .sort((a, b) => a.meanCostNsPerKiB - b.meanCostNsPerKiB)
        .map((s) => [
          s.codec,
          ...s.ratios.map((r) => `${fmt(r * 100, 1)} %`),
          fmt(s.meanCostNsPerKiB),
          s.eligible ? 'yes' : 'no',
        ]),
    ),
  );
  const choice = ranked[0];
  if (choice) {
    const runnerUp = ranked[1];
    console.log(
      `\nRecommendation: ${choice.codec}` +
        (runnerUp
          ? ` (next: ${runnerUp.codec}, ${fmt((runnerUp.meanCostNsPerKiB / choice.meanCostNsPerKiB - 1) * 100, 0)} % more CPU per KiB)`
          : ''),
    );
  } else {
    console.log('\nRecommendation: none (no codec is within the ratio slack in every class)');
  }
  const path = await writeResult('cache-codec', {
    machine: info,
    rule: { readsPerWrite: READS_PER_WRITE, ratioSlack: RATIO_SLACK, cellMs: CELL_MS, rounds: ROUNDS },
    zstd: skip ?? 'measured',
    results,
    summary,
    choice: choice?.codec ?? null,
  });
  console.log(`load average at end: ${load()}`);
  console.log(`\nresult: ${path} (${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
  return choice ? 0 : 1;
}

runBenchmark(main);
