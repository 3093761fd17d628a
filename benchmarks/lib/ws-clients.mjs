// The subscriber processes of `bench:ws`: forked children (servers/ws-subscribers.mjs), each
// holding a share of the connections, driven over IPC one command at a time.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mergeBlockTimes } from './ws-checks.mjs';

const SUBSCRIBERS = fileURLToPath(new URL('../servers/ws-subscribers.mjs', import.meta.url));

/** One forked process; `ask(message)` resolves with its answer (rejects on an error answer). */
function startProcess(index) {
  const proc = fork(SUBSCRIBERS, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting = null;
  const ready = new Promise((resolve, reject) => {
    waiting = { resolve, reject };
  });
  proc.on('message', (message) => {
    const current = waiting;
    waiting = null;
    if (current === null) return;
    if (message.ok === false) current.reject(new Error(`subscriber ${index}: ${message.error}`));
    else current.resolve(message);
  });
  proc.once('exit', (code) => waiting?.reject(new Error(`subscriber ${index} exited (${code})`)));
  return {
    proc,
    ready,
    ask(message) {
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        proc.send(message);
      });
    },
  };
}

/**
 * `processes` subscriber processes. `open(url, connections, filters)` spreads the connections
 * over them (connection i uses filters[i % filters.length]); `report(truth)` merges their checks
 * and block times; `reset()` closes every socket for the next phase.
 */
export async function startSubscribers(processes) {
  const children = Array.from({ length: processes }, (_, i) => startProcess(i));
  await Promise.all(children.map((child) => child.ready));
  const all = (messageFor) => Promise.all(children.map((child, i) => child.ask(messageFor(i))));
  return {
    pids: children.map((child) => child.proc.pid),
    async open(url, connections, filters) {
      const share = Math.ceil(connections / processes);
      const answers = await all((i) => ({
        cmd: 'open',
        url,
        first: i * share,
        count: Math.max(0, Math.min(share, connections - i * share)),
        filters,
      }));
      return {
        opened: answers.reduce((sum, a) => sum + a.opened, 0),
        failed: answers.reduce((sum, a) => sum + a.failed, 0),
        errors: mergeCounts(answers.map((a) => a.errors)),
      };
    },
    countFrom: (block) => all(() => ({ cmd: 'count-from', block })),
    /** The lowest last head any socket has received (null: no sockets). */
    async lowestHead() {
      const answers = await all(() => ({ cmd: 'lowest-head' }));
      const values = answers.map((a) => a.lowest).filter((v) => v !== null);
      return values.length === 0 ? null : Math.min(...values);
    },
    async report(truth) {
      const answers = await all(() => ({ cmd: 'report', truth }));
      const checks = { ...answers[0].checks, examples: [] };
      for (const key of Object.keys(checks)) if (key !== 'examples') checks[key] = 0;
      for (const { checks: c } of answers) {
        for (const [key, value] of Object.entries(c))
          if (key === 'examples') checks.examples.push(...value);
          else checks[key] += value;
      }
      checks.examples = checks.examples.slice(0, 5);
      return {
        checks,
        blocks: mergeBlockTimes(answers.map((a) => a.blocks)),
        errors: mergeCounts(answers.map((a) => a.errors)),
      };
    },
    reset: () => all(() => ({ cmd: 'reset' })),
    async close() {
      await Promise.all(
        children.map(async (child) => {
          if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
          const exited = new Promise((resolve) => child.proc.once('exit', resolve));
          child.proc.send({ cmd: 'close' });
          const timer = setTimeout(() => child.proc.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}

function mergeCounts(list) {
  const out = {};
  for (const counts of list) for (const [key, n] of Object.entries(counts)) out[key] = (out[key] ?? 0) + n;
  return out;
}
