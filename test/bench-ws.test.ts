/**
 * `npm run bench:ws` run briefly (50 connections, a few blocks per phase) as users run it: the
 * exactly-once counters of both phases are 0 and the JSON summary has its fields. No timing is
 * asserted (the machine is shared); the verdict may say FAIL on latency, never crash.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../benchmarks/ws.mjs', import.meta.url));
const CONNECTIONS = 50;

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    // The script bounds itself; this only keeps a hung run from outliving the test.
    const timer = setTimeout(() => child.kill('SIGINT'), 170_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

it('delivers every block and matching log exactly once through Turnpike and from anvil directly', async () => {
  const { code, stdout, stderr } = await runBench([
    '--connections',
    String(CONNECTIONS),
    '--duration',
    '4',
    '--processes',
    '2',
    '--logs-per-block',
    '20',
    '--match',
    '0.25',
    '--idle-ms',
    '500',
    '--drain-ms',
    '30000',
    '--json',
  ]);
  // 0 = every goal met, 1 = a goal missed (latency on a busy machine); anything else is a crash.
  expect([0, 1], stderr).toContain(code);
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
  expect(summary.options).toMatchObject({ connections: CONNECTIONS, workers: 2, logsPerBlock: 20 });
  expect(summary.phases.map((p: { target: string }) => p.target)).toEqual(['turnpike', 'anvil-direct']);
  for (const phase of summary.phases) {
    expect(phase.connections, phase.target).toMatchObject({
      asked: CONNECTIONS,
      opened: CONNECTIONS,
      failed: 0,
    });
    expect(phase.blocks.mined, phase.target).toBeGreaterThanOrEqual(3);
    expect(phase.blocks.reached, phase.target).toBe(phase.blocks.mined);
    expect(phase.blocks.hashMismatches, phase.target).toBe(0);
    expect(phase.checks, phase.target).toMatchObject({
      connections: CONNECTIONS,
      bad: 0,
      missingHeads: 0,
      duplicateHeads: 0,
      outOfOrderHeads: 0,
      missingLogs: 0,
      duplicateLogs: 0,
      outOfOrderLogs: 0,
      unexpectedLogs: 0,
      removedLogs: 0,
      closedEarly: 0,
      endedWithError: 0,
    });
    // Each connection: one head per block and 5 of the 20 logs (match 0.25).
    expect(phase.notifications, phase.target).toBeGreaterThanOrEqual(CONNECTIONS * phase.blocks.mined * 6);
    for (const figure of ['delivery', 'spread', 'headDelivery'])
      expect(phase.latencyMs[figure].count, `${phase.target} ${figure}`).toBe(phase.blocks.mined);
    expect(typeof phase.memory.rssMiBPer1000, phase.target).toBe('number');
  }
  const turnpike = summary.phases[0];
  // One header and one log read per block per worker, whatever the number of subscribers.
  expect(turnpike.upstream.perBlock.eth_getLogs).toBeGreaterThan(0);
  expect(turnpike.upstream.perBlock.eth_getLogs).toBeLessThanOrEqual(2 * 2);
  expect(turnpike.feed.count).toBeGreaterThanOrEqual(turnpike.blocks.mined);
  expect(summary.verdict.line).toMatch(/^verdict: (PASS|FAIL) — Turnpike delivery p99/);
}, 180_000);
