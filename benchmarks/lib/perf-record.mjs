// On-CPU sampling of one process with Linux `perf` (when installed and permitted): unlike V8's
// --cpu-prof, which samples wall-clock time and charges time spent descheduled to the function
// that was running, `perf record -e cpu-clock` only samples while the process is on a CPU, and
// sees the kernel. With node's --perf-basic-prof, JIT code shows under JavaScript names.
import { execFile, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why perf cannot be used here, or null. */
export async function perfUnavailable() {
  try {
    await run('perf', ['stat', '-e', 'cpu-clock', '--', 'true']);
    return null;
  } catch (err) {
    return `perf not usable: ${(err.stderr || err.message).split('\n')[0]}`;
  }
}

/** Starts `perf record` on `pid` (threads included); `stop()` resolves once the file is written. */
export function startPerfRecord(pid, path, frequency = 1999) {
  const proc = spawn(
    'perf',
    ['record', '-e', 'cpu-clock', '-F', String(frequency), '-o', path, '-p', String(pid)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  proc.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  return {
    async stop() {
      proc.kill('SIGINT');
      const code = await exited;
      if (code !== 0 && code !== 'SIGINT') throw new Error(`perf record failed (${code}): ${stderr.trim()}`);
    },
  };
}

/** `[{ share, name }]` from `perf report --sort <key>`, largest first, shares as fractions. */
async function report(path, sort, limit) {
  const { stdout } = await run(
    'perf',
    [
      'report',
      '-i',
      path,
      '--stdio',
      '--no-children',
      '--sort',
      sort,
      '-g',
      'none',
      '--percent-limit',
      '0.2',
    ],
    { maxBuffer: 64 << 20 },
  );
  const rows = [];
  for (const line of stdout.split('\n')) {
    const match = /^\s+([\d.]+)%\s+(.+?)\s*$/.exec(line);
    if (match) rows.push({ share: Number(match[1]) / 100, name: match[2] });
  }
  return rows.slice(0, limit);
}

/**
 * Shares of on-CPU samples by where the code lives (kernel, the node binary = V8 runtime and
 * builtins, JIT = JavaScript, libc) and the top symbols. JIT entries are grouped as "JIT".
 */
export async function summarizePerf(path, { top = 25 } = {}) {
  const dsos = await report(path, 'dso', 50);
  const areas = new Map();
  for (const { share, name } of dsos) {
    const area = name.startsWith('[JIT]') ? 'JIT (JavaScript)' : name;
    areas.set(area, (areas.get(area) ?? 0) + share);
  }
  return {
    areas: [...areas.entries()].map(([name, share]) => ({ name, share })).sort((a, b) => b.share - a.share),
    symbols: await report(path, 'sym', top),
  };
}

/** Removes the perf data and the JIT map node wrote for `pid` (/tmp/perf-<pid>.map). */
export async function removePerfFiles(path, pid) {
  await rm(path, { force: true });
  await rm(`/tmp/perf-${pid}.map`, { force: true });
}
