// CPU time and RSS of a process and all its descendants, read from /proc (Linux only).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Clock ticks per second for /proc/<pid>/stat times. */
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const PAGE_SIZE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;

/** Fields after "pid (comm)"; comm may contain spaces and parentheses, so split after the last ')'. */
function statFields(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // exited meanwhile
  }
}

/** `root` and every live descendant. */
export function processTree(root) {
  const parentOf = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields) parentOf.set(Number(entry), Number(fields[1])); // field 4 (ppid)
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/**
 * utime + stime (in ticks) summed over the tree, plus cutime + cstime: the time of descendants
 * that already exited and were reaped (a finished wrk, a restarted worker) stays counted.
 */
export function treeCpuTicks(root) {
  let ticks = 0;
  for (const pid of processTree(root)) {
    const fields = statFields(pid);
    // Fields 14–17 of /proc/<pid>/stat.
    if (fields) ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return ticks;
}

/** Starts a CPU measurement; calling the result returns CPU seconds used since. */
export function cpuMeter(root) {
  const before = treeCpuTicks(root);
  return () => (treeCpuTicks(root) - before) / CLK_TCK;
}

/** Resident set size per process of the tree, in bytes. */
export function treeRss(root) {
  const perProcess = [];
  for (const pid of processTree(root)) {
    try {
      const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
      perProcess.push({ pid, rss: pages * PAGE_SIZE });
    } catch {
      // exited meanwhile
    }
  }
  return { total: perProcess.reduce((sum, p) => sum + p.rss, 0), perProcess };
}

/** Busy ticks of the whole machine (all CPUs) from /proc/stat: everything but idle and iowait. */
export function systemBusyTicks() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , , , steal] = fields.map(Number);
  // irq and softirq are left out: on loopback they are mostly the kernel moving the benchmark's
  // own packets (≈ 15 % of the machine under load), charged to no process, and counting them
  // as foreign flagged every loaded run as disturbed.
  return user + nice + system + steal;
}

/**
 * CPU of the kernel's ksoftirqd threads: under load they carry the benchmark's own loopback
 * packets, so their time is ours, not another job's.
 */
function softirqThreadTicks() {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith('ksoftirqd')) continue;
    } catch {
      continue;
    }
    const fields = statFields(entry);
    if (fields) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks;
}

/**
 * Starts measuring CPU used on this machine by anything outside `root`'s process tree (other
 * sessions, builds, steal). Calling the result returns it in cores (1.0 = one core busy).
 */
export function backgroundMeter(root) {
  const start = performance.now();
  const system = systemBusyTicks();
  const ours = treeCpuTicks(root) + softirqThreadTicks();
  return () => {
    const seconds = (performance.now() - start) / 1000;
    const foreign = systemBusyTicks() - system - (treeCpuTicks(root) + softirqThreadTicks() - ours);
    return Math.max(0, foreign / CLK_TCK / seconds);
  };
}
