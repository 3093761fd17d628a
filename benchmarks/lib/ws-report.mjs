// The `bench:ws` report: one column per phase (Turnpike, anvil directly), the exactly-once
// counters, upstream calls per block, idle memory, and the verdict line.
import { fmt, table } from './report.mjs';

const P99_GOAL_MS = 100;
const RSS_GOAL_MIB_PER_1000 = 25;

/** Sum of the exactly-once counters of a phase (must be 0). */
export function deliveryFaults(phase) {
  const c = phase.checks;
  return (
    c.missingHeads +
    c.duplicateHeads +
    c.outOfOrderHeads +
    c.missingLogs +
    c.duplicateLogs +
    c.outOfOrderLogs +
    c.unexpectedLogs +
    c.removedLogs +
    c.endedWithError +
    c.closedEarly +
    phase.blocks.hashMismatches
  );
}

export function printReport(summary, out = (line) => process.stdout.write(`${line}\n`)) {
  const phases = summary.phases;
  const col = (f) => phases.map(f);
  const ms = (v) => fmt(v, 1);
  out('');
  out(
    `bench:ws — ${summary.options.connections} connections × (newHeads + logs), ${summary.options.logsPerBlock} logs a block ` +
      `every ${summary.options.blockMs} ms, logs filter matches ${fmt(summary.options.match * 100, 0)} %, ` +
      `${summary.options.workers} worker(s), cache.headPollMs ${summary.options.headPollMs}, ${summary.options.duration} s per phase`,
  );
  out('');
  const rows = [
    ['connections subscribed', ...col((p) => `${fmt(p.connections.opened)} / ${fmt(p.connections.asked)}`)],
    ['blocks mined (reached)', ...col((p) => `${fmt(p.blocks.mined)} (${fmt(p.blocks.reached)})`)],
    ['notifications received', ...col((p) => fmt(p.notifications))],
    ['last block reached everyone after (s)', ...col((p) => fmt(p.blocks.drainSeconds, 1))],
    ['delivery p50 ms (last − anvil)', ...col((p) => ms(p.latencyMs.delivery.p50))],
    ['delivery p99 ms', ...col((p) => ms(p.latencyMs.delivery.p99))],
    ['delivery max ms', ...col((p) => ms(p.latencyMs.delivery.max))],
    ['newHeads only p99 ms', ...col((p) => ms(p.latencyMs.headDelivery.p99))],
    ['fan-out spread p50 ms (last − first)', ...col((p) => ms(p.latencyMs.spread.p50))],
    ['fan-out spread p99 ms', ...col((p) => ms(p.latencyMs.spread.p99))],
    ['feed p99 ms (tracker step → last write)', ...col((p) => (p.feed ? ms(p.feed.p99Ms) : '–'))],
    ['missing heads / logs', ...col((p) => `${fmt(p.checks.missingHeads)} / ${fmt(p.checks.missingLogs)}`)],
    [
      '  of which on sockets never cut',
      ...col((p) => `${fmt(p.checks.missingHeadsOnOpen)} / ${fmt(p.checks.missingLogsOnOpen)}`),
    ],
    [
      'duplicate heads / logs',
      ...col((p) => `${fmt(p.checks.duplicateHeads)} / ${fmt(p.checks.duplicateLogs)}`),
    ],
    [
      'out-of-order heads / logs',
      ...col((p) => `${fmt(p.checks.outOfOrderHeads)} / ${fmt(p.checks.outOfOrderLogs)}`),
    ],
    [
      'unexpected / removed logs',
      ...col((p) => `${fmt(p.checks.unexpectedLogs)} / ${fmt(p.checks.removedLogs)}`),
    ],
    ['hash mismatches', ...col((p) => fmt(p.blocks.hashMismatches))],
    [
      'closed early / ended with error',
      ...col((p) => `${fmt(p.checks.closedEarly)} / ${fmt(p.checks.endedWithError)}`),
    ],
    ['idle RSS MiB per 1,000 connections', ...col((p) => fmt(p.memory.rssMiBPer1000, 2))],
    ['idle heap MiB per 1,000 connections', ...col((p) => fmt(p.memory.heapMiBPer1000, 2))],
    ['server CPU s (mining phase)', ...col((p) => fmt(p.cpuSeconds.target, 1))],
    ['server CPU ms per block', ...col((p) => fmt((p.cpuSeconds.target * 1000) / p.blocks.mined, 1))],
    ['subscriber processes CPU s', ...col((p) => fmt(p.cpuSeconds.subscribers, 1))],
    ['other load on the machine (cores)', ...col((p) => fmt(p.cpuSeconds.foreignCores, 2))],
  ];
  out(table(['', ...col((p) => p.target)], rows));
  const tp = phases.find((p) => p.target === 'turnpike');
  if (tp?.upstream) {
    out('');
    out(`upstream calls per block (Turnpike → anvil, counted by a proxy; ${tp.upstream.blocks} blocks):`);
    const perBlock = Object.entries(tp.upstream.perBlock).sort(([a], [b]) => a.localeCompare(b));
    out(
      table(
        ['method', 'calls', 'per block'],
        perBlock.map(([m, n]) => [m, fmt(tp.upstream.calls[m]), fmt(n, 2)]),
      ),
    );
  }
  if (tp?.split) {
    out('');
    out(
      `where the time goes (ms after anvil announced the block; last worker / last subscriber; ${tp.split.written.count} blocks):`,
    );
    const stage = (name, key) => {
      const s = tp.split[key];
      return [name, fmt(s.p50, 1), fmt(s.p99, 1), fmt(s.max, 1)];
    };
    out(
      table(
        ['stage', 'p50', 'p99', 'max'],
        [
          stage('tracker saw the block', 'tracker'),
          stage('header and logs loaded', 'loaded'),
          stage('handed to every socket', 'handed'),
          stage('written to the kernel (server done)', 'written'),
          stage('last subscriber received', 'received'),
          stage('  server fan-out per worker (loaded → written)', 'fanOut'),
          stage('  client side (written → last received)', 'clientSide'),
        ],
      ),
    );
  }
  const errors = phases.filter((p) => Object.keys(p.errors).length > 0);
  for (const p of errors) out(`${p.target} errors: ${JSON.stringify(p.errors)}`);
  out('');
  out(verdict(summary).line);
}

/** The verdict: Turnpike's p99 against anvil-direct's, and the goals of the issue. */
export function verdict(summary) {
  const tp = summary.phases.find((p) => p.target === 'turnpike');
  const direct = summary.phases.find((p) => p.target === 'anvil-direct');
  const parts = [];
  let pass = true;
  if (tp) {
    const p99 = tp.latencyMs.delivery.p99;
    const faults = deliveryFaults(tp);
    pass &&= faults === 0 && tp.connections.failed === 0 && p99 <= P99_GOAL_MS;
    parts.push(`Turnpike delivery p99 ${fmt(p99, 1)} ms (goal ≤ ${P99_GOAL_MS})`);
    if (direct) {
      const ratio = p99 / direct.latencyMs.delivery.p99;
      parts.push(`anvil direct p99 ${fmt(direct.latencyMs.delivery.p99, 1)} ms (×${fmt(ratio, 2)})`);
    }
    parts.push(`exactly-once faults ${faults}`);
    const rss = tp.memory.rssMiBPer1000;
    if (rss !== null) {
      parts.push(`idle RSS ${fmt(rss, 2)} MiB/1,000 (goal ≤ ${RSS_GOAL_MIB_PER_1000})`);
      pass &&= rss <= RSS_GOAL_MIB_PER_1000;
    }
  }
  if (direct) parts.push(`anvil direct faults ${deliveryFaults(direct)}`);
  return { pass, line: `verdict: ${pass ? 'PASS' : 'FAIL'} — ${parts.join('; ')}` };
}
