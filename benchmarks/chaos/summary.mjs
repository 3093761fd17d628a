// The chaos suite's figures per phase, from the raw phase results and the metered usage: the
// JSON written to disk (schema `turnpike-chaos/1`) and the table printed at the end.
import { availableParallelism } from 'node:os';
import { fmt, table } from '../lib/report.mjs';
import { recoverySecond } from './phase.mjs';

/** Error share above which a second counts as "not recovered": the baseline's share + 0.5 points. */
const TOLERANCE = 0.005;

function window(load, name) {
  const w = load.windows.find((x) => x.name === name);
  return {
    errorPct: 100 * w.errorRate,
    p99Ms: w.p99Ms,
    ok: w.ok,
    errors: w.errors,
    errorsByKind: w.errorsByKind,
  };
}

function meter(usage, key, served) {
  const metered = usage[key.id] ?? { total: 0, ok: 0, byOutcome: {} };
  return {
    served,
    meteredOk: metered.ok,
    meteredTotal: metered.total,
    byOutcome: metered.byOutcome,
    delta: metered.ok - served,
  };
}

export function summarize({ options, fleet, phases, usage, loadBefore, loadAfter }) {
  const baseline = phases.find((p) => p.name === 'baseline');
  const share = (load) => {
    const ok = load.windows.reduce((s, w) => s + w.ok, 0);
    const errors = load.windows.reduce((s, w) => s + w.errors, 0);
    return ok + errors > 0 ? errors / (ok + errors) : 0;
  };
  const threshold = (kind) => (baseline ? share(baseline[kind]) : 0) + TOLERANCE;
  return {
    schema: 'turnpike-chaos/1',
    at: new Date().toISOString(),
    machine: { cores: availableParallelism(), loadavgBefore: loadBefore, loadavgAfter: loadAfter },
    options,
    fleet: {
      instances: fleet.gateways.length,
      workersPerInstance: options.workers,
      relayerEngine: 'own worker in every instance (engineProcess: own)',
      upstreams: fleet.upstreams.length,
      loadBalancer: `nginx (passive health: max_fails=1 fail_timeout=2s; ${
        options.nginxRetry === 'off'
          ? 'proxy_next_upstream error timeout'
          : 'proxy_next_upstream error timeout non_idempotent, 2 tries within 15 s'
      })`,
      postgres: `throwaway cluster on port ${fleet.postgres.port}`,
      redis: `throwaway redis-server on port ${fleet.redis.port}`,
    },
    phases: phases.map((p) => {
      const lift = options.beforeSeconds + options.faultSeconds;
      // Requests still unanswered at the end never reach the per-second rows: an `after`
      // window with unanswered requests has not recovered, whatever those rows say.
      const settled = (kind) =>
        !(p[kind].windows.find((w) => w.name === 'after').errorsByKind.unanswered > 0);
      const recovery = (kind) =>
        settled(kind) ? recoverySecond(p[kind].seconds, lift, threshold(kind)) : null;
      // From the injection: a fleet that heals itself (failover, restarted worker) does so
      // inside the fault window, which the recovery time (from the lift) cannot show.
      const selfHeal = (kind) =>
        settled(kind) ? recoverySecond(p[kind].seconds, options.beforeSeconds, threshold(kind)) : null;
      return {
        name: p.name,
        fault: p.fault,
        faultErrors: p.faultErrors,
        timeline: p.timeline,
        generatorValid: { rpc: p.rpc.valid, transfer: p.transfer.valid },
        generatorInvalid: { rpc: p.rpc.invalid, transfer: p.transfer.invalid },
        rpc: {
          offeredRps: options.rpcRate,
          before: window(p.rpc, 'before'),
          fault: window(p.rpc, 'fault'),
          after: window(p.rpc, 'after'),
          recoverySeconds: recovery('rpc'),
          seconds: p.rpc.seconds,
          healedSecondsAfterInject: selfHeal('rpc'),
        },
        transfer: {
          offeredRps: options.transferRate,
          before: window(p.transfer, 'before'),
          fault: window(p.transfer, 'fault'),
          after: window(p.transfer, 'after'),
          recoverySeconds: recovery('transfer'),
          seconds: p.transfer.seconds,
          healedSecondsAfterInject: selfHeal('transfer'),
        },
        transfers: {
          accepted: p.transfers.accepted,
          onChain: p.transfers.logs,
          lost: p.transfers.lost,
          duplicated: p.transfers.duplicated,
          unacknowledged: p.transfers.unacknowledged,
        },
        usage: {
          rpc: meter(p.usage ?? usage, p.keys.rpc, p.rpc.ok),
          transfer: meter(p.usage ?? usage, p.keys.transfer, p.transfers.accepted),
          limited: meter(p.usage ?? usage, p.keys.limited, p.rateLimit.admitted),
        },
        rateLimit: p.rateLimit,
      };
    }),
  };
}

const pct = (v) => (v === 0 ? '0' : v < 0.01 ? '<0.01' : fmt(v, 2));
const secs = (v) => (v === null ? 'not in window' : String(v));

export function printSummary(result) {
  const rows = result.phases.map((p) => [
    p.name,
    pct(p.rpc.fault.errorPct),
    pct(p.rpc.after.errorPct),
    fmt(p.rpc.fault.p99Ms, 1),
    pct(p.transfer.fault.errorPct),
    fmt(p.transfer.fault.p99Ms, 1),
    `${secs(p.rpc.healedSecondsAfterInject)} / ${secs(p.transfer.healedSecondsAfterInject)}`,
    `${secs(p.rpc.recoverySeconds)} / ${secs(p.transfer.recoverySeconds)}`,
    `${p.transfers.accepted}: ${p.transfers.lost}/${p.transfers.duplicated}`,
    `${p.usage.rpc.meteredOk}/${p.usage.rpc.served}`,
    `${p.rateLimit.admitted}≤${p.rateLimit.bound}+${p.rateLimit.slack} ${p.rateLimit.held ? 'yes' : 'NO'}`,
  ]);
  const headers = [
    'phase',
    'rpc err% fault',
    'rpc err% after',
    'rpc p99 fault ms',
    'xfer err% fault',
    'xfer p99 fault ms',
    'healed s after inject rpc/xfer',
    'recovery s after lift rpc/xfer',
    'accepted: lost/dup',
    'metered/served rpc',
    'limit held',
  ];
  process.stdout.write(`\n${table(headers, rows)}\n\n`);
  // The same as a Markdown table, for docs/reliability.md.
  const md = [headers, headers.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  process.stdout.write(
    `${md}\n\nload average before ${result.machine.loadavgBefore.join(' ')}, after ${result.machine.loadavgAfter.join(' ')}\n`,
  );
}
