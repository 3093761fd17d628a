// User and kernel CPU of a process tree, apart (proc-stats.mjs sums them): for a server on
// loopback the kernel part is mostly socket I/O, which no JavaScript change removes.
import { readFileSync } from 'node:fs';
import { CLK_TCK, processTree } from './proc-stats.mjs';

function userSystemTicks(root) {
  let user = 0;
  let system = 0;
  for (const pid of processTree(root)) {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      // utime, stime, cutime, cstime (fields 14–17): reaped children stay counted.
      user += Number(fields[11]) + Number(fields[13]);
      system += Number(fields[12]) + Number(fields[14]);
    } catch {
      // exited meanwhile
    }
  }
  return { user, system };
}

/** Starts a measurement; calling the result returns `{ userSeconds, systemSeconds }` since. */
export function cpuSplitMeter(root) {
  const before = userSystemTicks(root);
  return () => {
    const after = userSystemTicks(root);
    return {
      userSeconds: (after.user - before.user) / CLK_TCK,
      systemSeconds: (after.system - before.system) / CLK_TCK,
    };
  };
}
