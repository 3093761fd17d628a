/**
 * Per-worker event-loop delay through the real binary under node:cluster: one worker is frozen
 * (SIGSTOP, then SIGCONT), which holds its event loop exactly as a long synchronous task would,
 * and the primary's aggregated /metrics must show the delay on that worker's series only, read
 * back the way `turnpike bench` reads it, and start a fresh window at the next scrape.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { extractSignals } from '../src/bench/metrics-scraper.js';
import { parsePrometheusText } from '../src/bench/prometheus-text.js';
import { type AnvilNode, startAnvil, stopAllAnvils } from '../src/dev/anvil.js';
import { METRIC } from '../src/metrics/names.js';
import { childPids, killAllCli, startCli } from './support/cli.js';
import { getFreePort } from './support/free-port.js';

const CONFIG = `
logging:
  level: warn
networks:
  eth:
    chainId: 31337
    upstreams:
      - id: anvil
        url: \${TP_DELAY_UPSTREAM}
`;
const FREEZE_MS = 1_500;

let dir: string;
let anvil: AnvilNode;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnpike-loop-delay-'));
  await writeFile(join(dir, 'turnpike.yaml'), CONFIG);
  anvil = await startAnvil();
});

afterEach(async () => {
  await killAllCli();
});

afterAll(async () => {
  await stopAllAnvils();
  await rm(dir, { recursive: true, force: true });
});

/** The worker label a cluster worker reports (`TURNPIKE_WORKER_INDEX` in its environment). */
function workerLabel(pid: number): string {
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const entry = env.find((line) => line.startsWith('TURNPIKE_WORKER_INDEX='));
  if (entry === undefined) throw new Error(`process ${pid} is not a turnpike cluster worker`);
  return entry.slice('TURNPIKE_WORKER_INDEX='.length);
}

async function scrape(origin: string): Promise<string> {
  const res = await request(`${origin}/metrics`, { reset: true });
  expect(res.statusCode).toBe(200);
  return res.body.text();
}

/** Seconds of `turnpike_event_loop_delay_seconds` by worker, then quantile. */
function delays(text: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const s of parsePrometheusText(text))
    if (s.name === METRIC.eventLoopDelay) {
      out[s.labels.worker ?? '?'] ??= {};
      out[s.labels.worker ?? '?']![s.labels.quantile ?? '?'] = s.value;
    }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('shows a blocked worker’s event-loop delay on its own series, and resets it per scrape', async () => {
  const port = await getFreePort();
  const cli = startCli(
    ['start', '--config', join(dir, 'turnpike.yaml'), '--workers', '2', '--port', String(port)],
    { TP_DELAY_UPSTREAM: anvil.url },
  );
  const origin = `http://127.0.0.1:${port}`;
  await cli.waitForLine(/^ready /);
  const pids = childPids(cli.pid);
  expect(pids).toHaveLength(2);
  const [victim, other] = pids as [number, number];
  const victimLabel = workerLabel(victim);
  const otherLabel = workerLabel(other);
  expect(new Set([victimLabel, otherLabel])).toEqual(new Set(['0', '1']));

  // One series per worker and quantile, merged by the primary without summing workers together.
  const first = delays(await scrape(origin));
  expect(Object.keys(first).sort()).toEqual(['0', '1']);
  for (const worker of ['0', '1']) expect(Object.keys(first[worker]!).sort()).toEqual(['0.5', '0.99', '1']);

  // That scrape opened a new window in every worker; let the monitor tick in it, then freeze one.
  await sleep(200);
  process.kill(victim, 'SIGSTOP');
  try {
    await sleep(FREEZE_MS);
  } finally {
    process.kill(victim, 'SIGCONT');
  }

  const text = await scrape(origin);
  const blocked = delays(text);
  // The frozen worker's loop ran its timer at least ~FREEZE_MS late: the maximum and, with a few
  // dozen ticks in the window, the p99 show it.
  expect(blocked[victimLabel]!['1']).toBeGreaterThanOrEqual((FREEZE_MS * 0.8) / 1000);
  expect(blocked[victimLabel]!['0.99']).toBeGreaterThanOrEqual((FREEZE_MS * 0.8) / 1000);
  expect(blocked[victimLabel]!['0.5']).toBeLessThanOrEqual(blocked[victimLabel]!['0.99']!);
  // The other worker ran all along: its series is its own, not the frozen one's.
  expect(blocked[otherLabel]!['1']).toBeLessThan(blocked[victimLabel]!['1']!);

  // `turnpike bench` reads the same text into per-worker figures in milliseconds.
  const signals = extractSignals(parsePrometheusText(text), 0);
  expect(signals.loopDelay?.[victimLabel]?.max).toBeGreaterThanOrEqual(FREEZE_MS * 0.8);
  expect(signals.loopDelay?.[otherLabel]?.max).toBeLessThan(signals.loopDelay![victimLabel]!.max);

  // The next scrape is a new window (with ticks in it): the freeze is no longer in it.
  await sleep(200);
  const next = delays(await scrape(origin));
  console.log(
    `event-loop delay, s: frozen worker ${victimLabel} ${JSON.stringify(blocked[victimLabel])}, other ${JSON.stringify(blocked[otherLabel])}; next window ${JSON.stringify(next[victimLabel])}`,
  );
  expect(next[victimLabel]!['1']).toBeLessThan(blocked[victimLabel]!['1']!);

  cli.child.kill('SIGTERM');
  expect((await cli.exited).code).toBe(0);
});
