// Gateway CPU per request under wrk, for the same-run A/B scripts (benchmarks/*-ab.mjs): the
// process's user + system time from /proc around one wrk run that POSTs one JSON-RPC body.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLK_TCK } from './proc-stats.mjs';

/** User + system CPU seconds of a process so far. */
export function processCpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Runs wrk (one thread) POSTing `body` to `url`; resolves with the number of requests it made. */
export function wrkPost(url, body, { connections, seconds }) {
  const script = join(tmpdir(), `ab-${process.pid}.lua`);
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`,
  );
  return new Promise((done, fail) => {
    const run = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, url]);
    let out = '';
    run.stdout.on('data', (chunk) => (out += chunk));
    run.on('exit', () => {
      const match = /(\d+) requests in/.exec(out);
      if (match === null) fail(new Error(out));
      else done(Number(match[1]));
    });
  });
}

/** CPU µs the process `pid` spent per request while wrk sent `body` to `url`. */
export async function cpuPerRequest(pid, url, body, options) {
  const before = processCpuSeconds(pid);
  const requests = await wrkPost(url, body, options);
  return ((processCpuSeconds(pid) - before) * 1e6) / requests;
}
