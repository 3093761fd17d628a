// One measured phase of `bench:ws` against one endpoint (Turnpike or anvil directly): open the
// connections with their two subscriptions, take the idle memory, mine for a while, then check
// exactly-once delivery against anvil's own chain and compute the delivery latency per block.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { countsBetween } from './counting-proxy.mjs';
import { backgroundMeter, cpuMeter, processTree } from './proc-stats.mjs';
import { scrape, sumMetric } from './prom.mjs';
import { summarize } from './stats.mjs';
import { readTruth, startMiner } from './ws-chain.mjs';
import { deliverySplit, readTraces } from './ws-trace-split.mjs';

const MiB = 2 ** 20;

/** VmRSS of each pid, in bytes (/proc/<pid>/status). */
export function rssOf(pids) {
  return pids.map((pid) => {
    try {
      const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
      return line ? Number(line[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  });
}

/** The gateway workers: every process under the primary, or the primary alone (one worker runs in it). */
export function workerPids(primaryPid) {
  const workers = processTree(primaryPid).slice(1);
  return workers.length > 0 ? workers : [primaryPid];
}

/**
 * `target`: { name, wsUrl, memoryPids() (the processes whose RSS the connections cost),
 * metricsUrl? (heap, summed over workers), cpuRoot, traceDir? (the workers' feed traces) }. `ctx`: { chain, subscribers, reference,
 * proxy?, filters, opts, log }.
 */
export async function runPhase(target, ctx) {
  const { chain, subscribers, reference, proxy, filters, opts, log } = ctx;
  const heap = async () =>
    target.metricsUrl
      ? sumMetric((await scrape(target.metricsUrl)) ?? '', 'nodejs_heap_size_used_bytes')
      : null;

  // Idle memory: before and after the connections and their subscriptions, no block mined.
  await sleep(500);
  const rssBefore = rssOf(target.memoryPids());
  const heapBefore = await heap();
  const openStarted = performance.now();
  const opened = await subscribers.open(target.wsUrl, opts.connections, filters);
  const openSeconds = (performance.now() - openStarted) / 1000;
  log(
    `${target.name}: ${opened.opened} connections subscribed in ${openSeconds.toFixed(1)} s (${opened.failed} failed)`,
  );
  await sleep(opts.idleMs);
  const rssAfter = rssOf(target.memoryPids());
  const heapAfter = await heap();
  const rssDelta = rssAfter.reduce((a, b) => a + b, 0) - rssBefore.reduce((a, b) => a + b, 0);
  const perThousand = (bytes) => (opened.opened > 0 ? bytes / MiB / (opened.opened / 1000) : null);
  const memory = {
    rssBeforeMiB: rssBefore.map((b) => b / MiB),
    rssAfterMiB: rssAfter.map((b) => b / MiB),
    rssMiBPer1000: perThousand(rssDelta),
    heapBeforeMiB: heapBefore === null ? null : heapBefore / MiB,
    heapAfterMiB: heapAfter === null ? null : heapAfter / MiB,
    heapMiBPer1000: heapBefore === null || heapAfter === null ? null : perThousand(heapAfter - heapBefore),
  };

  // Mining: blocks after the current head are the ones every connection must get.
  const first = (await chain.head()) + 1;
  await subscribers.countFrom(first);
  const callsBefore = proxy?.snapshot();
  const cpu = {
    target: cpuMeter(target.cpuRoot),
    subscribers: subscribers.pids.map((pid) => cpuMeter(pid)),
    // Everything on the machine outside this benchmark's process tree (other sessions, builds).
    foreign: backgroundMeter(process.pid),
  };
  log(
    `${target.name}: mining a block of ${opts.logsPerBlock} logs every ${opts.blockMs} ms for ${opts.duration} s`,
  );
  const miner = startMiner(chain, { intervalMs: opts.blockMs, logsPerBlock: opts.logsPerBlock });
  await sleep(opts.duration * 1000);
  const mined = await miner.stop();
  const calls = proxy ? countsBetween(callsBefore, proxy.snapshot()) : null;
  const cpuSeconds = {
    target: cpu.target(),
    subscribers: cpu.subscribers.reduce((sum, meter) => sum + meter(), 0),
    foreignCores: cpu.foreign(),
  };
  const last = await chain.head();
  // Let the last block reach everyone (the tracker polls; a fan-out that fell behind catches up),
  // for at most drainMs; then a moment for the last block's logs, which follow its head.
  const drainStarted = performance.now();
  for (;;) {
    const lowest = await subscribers.lowestHead();
    if (lowest === null || lowest >= last || performance.now() - drainStarted > opts.drainMs) break;
    await sleep(100);
  }
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  await sleep(500);

  const truth = await readTruth(chain.url, first, last);
  const report = await subscribers.report({ first, last, logs: truth.logs });
  const delivery = [];
  const spread = [];
  const headDelivery = [];
  let hashMismatches = 0;
  let notReached = 0;
  for (let n = first; n <= last; n++) {
    const got = report.blocks.get(n);
    const announced = reference.announced.get(n);
    if (got === undefined) {
      notReached++;
      continue;
    }
    hashMismatches += got.hashMismatch + got.hashes.filter((h) => h !== truth.hashes.get(n)).length;
    spread.push(got.last - got.first);
    if (announced !== undefined) {
      delivery.push(got.last - announced.at);
      headDelivery.push(got.headLast - announced.at);
    }
  }
  const blocks = last - first + 1;
  const perBlock = calls
    ? Object.fromEntries(Object.entries(calls).map(([method, n]) => [method, n / Math.max(1, mined)]))
    : null;
  return {
    target: target.name,
    connections: { asked: opts.connections, opened: opened.opened, failed: opened.failed, openSeconds },
    errors: { ...opened.errors, ...report.errors },
    memory,
    blocks: { first, last, mined: blocks, reached: blocks - notReached, hashMismatches, drainSeconds },
    checks: report.checks,
    notifications: [...report.blocks.values()].reduce((sum, b) => sum + b.count, 0),
    latencyMs: {
      delivery: summarize(delivery),
      spread: summarize(spread),
      headDelivery: summarize(headDelivery),
    },
    upstream: calls && { calls, perBlock, blocks: mined },
    split: target.traceDir
      ? deliverySplit(readTraces(target.traceDir), report.blocks, reference.announced, first, last)
      : null,
    cpuSeconds,
  };
}
