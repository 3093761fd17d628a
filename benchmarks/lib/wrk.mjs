// Closed-loop maximum throughput with wrk (C, epoll): fast enough that it is not the bottleneck,
// but its latency is coordinated-omission biased, so it is reported as "closed-loop" only.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REQUEST_BODY } from './jsonrpc.mjs';

const run = promisify(execFile);

/** Writes the Lua script that turns every wrk request into the JSON-RPC POST. */
export async function writeWrkScript(dir) {
  const path = join(dir, 'post.lua');
  const script = [
    'wrk.method = "POST"',
    `wrk.body = '${REQUEST_BODY}'`,
    'wrk.headers["Content-Type"] = "application/json"',
    '',
  ].join('\n');
  await writeFile(path, script);
  return path;
}

export async function wrkVersion() {
  const { stdout, stderr } = await run('wrk', ['--version']).catch((err) => err);
  return `${stdout ?? ''}${stderr ?? ''}`
    .split('\n')[0]
    .replace(/ Copyright.*/, '')
    .trim();
}

/** Runs wrk and returns parsed figures; throws when wrk fails or prints nothing usable. */
export async function runWrk({ url, script, threads, connections, seconds }) {
  const args = [
    '-t',
    String(threads),
    '-c',
    String(connections),
    '-d',
    `${seconds}s`,
    '--latency',
    '-s',
    script,
    url,
  ];
  const { stdout } = await run('wrk', args, { timeout: (seconds + 30) * 1000 });
  return parseWrk(stdout);
}

const TIME_UNITS_MS = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

function parseTime(text) {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`unparseable wrk time "${text}"`);
  return Number(match[1]) * TIME_UNITS_MS[match[2]];
}

export function parseWrk(output) {
  const number = (re) => {
    const match = re.exec(output);
    return match ? Number(match[1]) : 0;
  };
  const percentile = (p) => {
    const match = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(output);
    return match ? parseTime(match[1]) : Number.NaN;
  };
  const totals = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(output);
  if (!totals) throw new Error(`unexpected wrk output:\n${output}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requests: Number(totals[1]),
    durationSeconds: parseTime(`${totals[2]}${totals[3]}`) / 1000,
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: percentile(50),
    p90Ms: percentile(90),
    p99Ms: percentile(99),
    non2xx: number(/Non-2xx or 3xx responses: (\d+)/),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}
