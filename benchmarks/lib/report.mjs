// Plain-text tables and the PASS/FAIL checks against the targets.
import { medianOf, perRound } from './rounds.mjs';

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

/** Formats a number with `digits` decimals and thousands separators; "–" when missing. */
export function fmt(value, digits = 0) {
  if (!isNumber(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Renders rows (arrays of strings) under headers, first column left-aligned, others right. */
export function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) =>
    cells
      .map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i])))
      .join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * A check: PASS/FAIL when both sides were measured, SKIP when a figure is missing,
 * INVALID when the open-loop generator could not hold its schedule.
 */
function check(name, value, unit, target, passes, { invalid = false } = {}) {
  let status = 'SKIP';
  if (isNumber(value)) status = invalid ? 'INVALID' : passes(value) ? 'PASS' : 'FAIL';
  return { name, value: isNumber(value) ? value : null, unit, target, status };
}

/** Per-round Turnpike/nginx and Turnpike/Express RPS ratios and added open-loop p99. */
export function roundFigures(results) {
  const tp = results['turnpike-all'];
  const rpsRatio = (other) =>
    perRound(tp, results[other], (t, o) => (o.closed?.rps > 0 ? t.closed?.rps / o.closed.rps : null));
  const floor = results.floor;
  const addedP99 = (a) =>
    perRound(a, results.direct, (x, d) => x.open?.latencyMs?.p99 - d.open?.latencyMs?.p99);
  return {
    nginxRatio: rpsRatio('nginx'),
    expressRatio: rpsRatio('express'),
    addedP99Ms: addedP99(tp),
    // The runtime floor (node:http + undici doing nothing else) in the same rounds: how far the
    // targets are reachable at all on this machine at this moment.
    floorNginxRatio: perRound(floor, results.nginx, (f, n) =>
      n.closed?.rps > 0 ? f.closed?.rps / n.closed.rps : null,
    ),
    floorAddedP99Ms: addedP99(floor),
    cpuOverFloor: perRound(tp, floor, (t, f) =>
      f.closed?.cpuUsPerRequest > 0 ? t.closed?.cpuUsPerRequest / f.closed.cpuUsPerRequest : null,
    ),
    ...tenancyFigures(results),
  };
}

/**
 * Tenancy on against off, per round: the same Turnpike with keys, plan, credits, rate limit and
 * metering on (the `-tenancy` targets) and off, measured back to back within each round.
 */
function tenancyFigures(results) {
  const rpsRatio = (on, off) =>
    perRound(results[on], results[off], (a, b) => (b.closed?.rps > 0 ? a.closed?.rps / b.closed.rps : null));
  const on = results['turnpike-all-tenancy'];
  const off = results['turnpike-all'];
  return {
    tenancyAllRatio: rpsRatio('turnpike-all-tenancy', 'turnpike-all'),
    tenancyOneRatio: rpsRatio('turnpike-1-tenancy', 'turnpike-1'),
    tenancyAddedP99Ms: perRound(on, off, (a, b) => a.open?.latencyMs?.p99 - b.open?.latencyMs?.p99),
    tenancyAddedP50Ms: perRound(on, off, (a, b) => a.open?.latencyMs?.p50 - b.open?.latencyMs?.p50),
    tenancyAddedCpuUs: perRound(on, off, (a, b) => a.closed?.cpuUsPerRequest - b.closed?.cpuUsPerRequest),
    tenancyOneAddedCpuUs: perRound(
      results['turnpike-1-tenancy'],
      results['turnpike-1'],
      (a, b) => a.closed?.cpuUsPerRequest - b.closed?.cpuUsPerRequest,
    ),
  };
}

/** The tenancy on ÷ off section: per-round figures, median, goal and the check's result. */
export function tenancyTable(rounds, checks) {
  const status = (name) => checks.find((c) => c.name === name)?.status ?? '';
  const list = (values, digits) => values.map((v) => fmt(v, digits)).join(', ') || '–';
  const rows = [
    [TENANCY_CHECKS.allRatio, rounds.tenancyAllRatio, 2, '×', '≥ 0.90'],
    [TENANCY_CHECKS.addedP99, rounds.tenancyAddedP99Ms, 3, 'ms', '≤ +1'],
    [TENANCY_CHECKS.oneRatio, rounds.tenancyOneRatio, 2, '×', '≥ 0.90'],
    ['Turnpike(all) tenancy on − off p50 (open loop)', rounds.tenancyAddedP50Ms, 3, 'ms', ''],
    ['Turnpike(all) tenancy on − off CPU per request', rounds.tenancyAddedCpuUs, 1, 'µs', ''],
    ['Turnpike(1) tenancy on − off CPU per request', rounds.tenancyOneAddedCpuUs, 1, 'µs', ''],
  ];
  return table(
    ['tenancy on ÷ off, same rounds', 'per round', 'median', 'goal', 'result'],
    rows.map(([name, values, digits, unit, goal]) => [
      name,
      list(values, digits),
      `${fmt(medianOf(values), digits)} ${unit}`,
      goal ? `${goal} ${unit}` : '',
      goal ? status(name) : '',
    ]),
  );
}

/** Names of the tenancy checks (shared by the checks and the tenancy table). */
export const TENANCY_CHECKS = {
  allRatio: 'Turnpike(all) tenancy on ÷ off RPS',
  addedP99: 'Turnpike(all) tenancy on − off p99 (open loop)',
  oneRatio: 'Turnpike(1) tenancy on ÷ off RPS',
};

/** Medians of the floor figures, printed under the targets as what limits them. */
export function floorTable(rounds) {
  const rows = [
    [
      'node:http + undici RPS / nginx RPS (target for Turnpike: ≥ 0.5)',
      medianOf(rounds.floorNginxRatio),
      2,
      '×',
    ],
    [
      'node:http + undici added p99 vs direct (target for Turnpike: ≤ 1)',
      medianOf(rounds.floorAddedP99Ms),
      3,
      'ms',
    ],
    ['Turnpike(all) CPU/req ÷ node:http + undici CPU/req', medianOf(rounds.cpuOverFloor), 2, '×'],
  ];
  return table(
    ['runtime floor, same rounds', 'median'],
    rows.map(([name, value, digits, unit]) => [name, `${fmt(value, digits)} ${unit}`]),
  );
}

/** The four targets: medians over rounds of the per-round ratios and differences. */
export function evaluateTargets(results) {
  const tp = results['turnpike-all'];
  const direct = results.direct;
  const rounds = roundFigures(results);
  const openInvalid = Boolean(tp?.open && !tp.open.valid) || Boolean(direct?.open && !direct.open.valid);
  return [
    check('Turnpike(all) RPS / nginx RPS', medianOf(rounds.nginxRatio), '×', '≥ 0.5', (v) => v >= 0.5),
    check('Turnpike(all) RPS / Express RPS', medianOf(rounds.expressRatio), '×', '≥ 10', (v) => v >= 10),
    check(
      'Turnpike(all) added p99 vs direct (open loop)',
      medianOf(rounds.addedP99Ms),
      'ms',
      '≤ 1',
      (v) => v <= 1,
      { invalid: openInvalid },
    ),
    check('Turnpike(all) CPU per proxied request', tp?.closed?.cpuUsPerRequest, 'µs', '≤ 60', (v) => v <= 60),
    ...tenancyChecks(results, rounds),
  ];
}

/** The tenancy issue's targets: throughput cost ≤ 10 %, p99 within 1 ms of tenancy off. */
function tenancyChecks(results, rounds) {
  const on = results['turnpike-all-tenancy'];
  const off = results['turnpike-all'];
  const openInvalid = Boolean(on?.open && !on.open.valid) || Boolean(off?.open && !off.open.valid);
  return [
    check(TENANCY_CHECKS.allRatio, medianOf(rounds.tenancyAllRatio), '×', '≥ 0.90', (v) => v >= 0.9),
    check(TENANCY_CHECKS.addedP99, medianOf(rounds.tenancyAddedP99Ms), 'ms', '≤ +1', (v) => v <= 1, {
      invalid: openInvalid,
    }),
    check(TENANCY_CHECKS.oneRatio, medianOf(rounds.tenancyOneRatio), '×', '≥ 0.90', (v) => v >= 0.9),
  ];
}

export function closedLoopTable(results, labels) {
  const rows = Object.entries(results)
    .filter(([, r]) => r.closed)
    .map(([key, { closed: c }]) => [
      labels[key] ?? key,
      fmt(c.rps),
      fmt(c.p50Ms, 2),
      fmt(c.p99Ms, 2),
      fmt(c.cpuUsPerRequest, 1),
      c.upstreamPerRequest === null ? '–' : fmt(c.upstreamPerRequest, 2),
      fmt(c.errors),
      fmt(c.backgroundCores, 2),
    ]);
  return table(
    ['target', 'RPS', 'p50 ms', 'p99 ms', 'CPU µs/req', 'upstream/req', 'errors', 'bg cores'],
    rows,
  );
}

export function openLoopTable(results, labels) {
  const rows = Object.entries(results)
    .filter(([, r]) => r.open)
    .map(([key, { open: o }]) => [
      labels[key] ?? key,
      fmt(o.completedRps),
      fmt(o.latencyMs.p50, 3),
      fmt(o.latencyMs.p99, 3),
      fmt(o.latencyMs.p999, 3),
      fmt(o.serviceTimeMs.p99, 3),
      fmt(o.sendLagMs.p99, 3),
      fmt(o.errors.total),
      o.valid ? 'yes' : `NO: ${o.invalid.join('; ')}`,
      fmt(o.backgroundCores, 2),
    ]);
  return table(
    [
      'target',
      'done RPS',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'uncorr p99',
      'send lag p99',
      'errors',
      'valid',
      'bg cores',
    ],
    rows,
  );
}

export function checksTable(checks) {
  const digits = { '×': 2, ms: 3, µs: 1 };
  return table(
    ['target', 'measured', 'goal', 'result'],
    checks.map((c) => [
      c.name,
      `${fmt(c.value, digits[c.unit] ?? 2)} ${c.unit}`,
      `${c.target} ${c.unit}`,
      c.status,
    ]),
  );
}
