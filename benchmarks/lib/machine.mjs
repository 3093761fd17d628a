// What the numbers were measured on, recorded with every result file.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export function machineInfo(extra = {}) {
  return {
    date: new Date().toISOString(),
    host: os.hostname(),
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    ...extra,
  };
}

/** Writes benchmarks/results/<name>-<timestamp>.json and returns its path. */
export async function writeResult(name, data) {
  await mkdir(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(RESULTS_DIR, `${name}-${stamp}.json`);
  await writeFile(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}

/**
 * A fixed JavaScript workload (JSON round trips of a small JSON-RPC request), in ns per round
 * trip, measured in the harness with the machine otherwise idle. It shows the machine's current
 * speed for Node code: on shared VMs it drifts by tens of percent within minutes, and Node
 * targets drift more than nginx, so a round with a high figure is a slow round for everyone.
 */
export function nodeSpeedProbe(durationMs = 300) {
  if (durationMs > 0) nodeSpeedProbe(0); // a first pass to let the JIT settle, not counted
  const request = { jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: ['0xf39f', 'latest'] };
  let rounds = 0;
  let sink = 0;
  const start = performance.now();
  const end = start + durationMs;
  do {
    for (let i = 0; i < 1000; i++) sink += JSON.parse(JSON.stringify(request)).id;
    rounds += 1000;
  } while (performance.now() < end);
  if (sink !== rounds) throw new Error('speed probe miscounted');
  return ((performance.now() - start) * 1e6) / rounds;
}
