/**
 * Accuracy of `turnpike bench` against a stub in a child process (its own event loop) with a
 * known service time and known stalls. Short runs (a few seconds). This file runs on its own,
 * after the rest of the suite (the `accuracy` project in vitest.config.ts): a generator starved
 * by parallel test files would measure the machine, not itself. A run the tool labels invalid
 * fails the test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { validateScenario } from '../../src/bench/load-scenario.js';
import type { BenchReport } from '../../src/bench/report-schema.js';
import { runBench } from '../../src/bench/run-bench.js';
import type { ScenarioInput } from '../../src/bench/scenario-schema.js';

const STUB = fileURLToPath(new URL('./stub-server.mjs', import.meta.url));
const children: ChildProcess[] = [];

async function startStub(options: Record<string, number>): Promise<string> {
  const child = spawn(process.execPath, [STUB, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.on('data', (data: Buffer) => {
      const match = /listening (\d+)/.exec(String(data));
      if (match) resolve(Number(match[1]));
    });
  });
  return `http://127.0.0.1:${port}/`;
}

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGTERM');
});

async function bench(input: Omit<ScenarioInput, 'requests'>): Promise<BenchReport> {
  const result = validateScenario({
    metrics: false,
    requests: [{ rpc: { method: 'eth_blockNumber' } }],
    ...input,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return runBench({ scenario: result.scenario });
}

/**
 * One run, which must be valid: a run the tool labels invalid (generator-bound, when something
 * took the generator's CPU) fails the test with the tool's reasons instead of being retried or
 * waved through.
 */
async function validBench(input: Omit<ScenarioInput, 'requests'>): Promise<BenchReport> {
  const report = await bench(input);
  if (!report.generator.valid)
    throw new Error(
      `the run is invalid (${report.verdict.bottleneck}): ${report.generator.invalidReasons.join('; ')}`,
    );
  return report;
}

describe('bench accuracy against a loopback stub', () => {
  it('corrected p99 shows 200 ms stalls every 2 s while service p50 stays near the 2 ms service time', {
    timeout: 90_000,
  }, async () => {
    const target = await startStub({ serviceMs: 2, stallMs: 200, stallEveryMs: 2000 });
    const report = await validBench({
      target,
      phases: [
        { name: 'warmup', duration: 1, rate: 500 },
        { name: 'sustain', duration: 4, rate: 1000 },
      ],
    });
    const { corrected, service } = report.measured;
    console.info(
      `stalls: corrected p50 ${corrected.p50} p99 ${corrected.p99} ms, service p50 ${service.p50} p99 ${service.p99} ms, dispatch lag p99 ${report.generator.dispatchLag.p99} ms (per second: ${report.seconds.map((x) => x.dispatchLagP99).join(' ')})`,
    );
    // 10 % of the time is stalled: ≈ 10 % of requests wait up to 200 ms, so p99 ≈ 180 ms.
    expect(corrected.p99).toBeGreaterThan(100);
    expect(corrected.p99).toBeLessThan(400);
    // A closed-loop view (service time) hides the stall from the median.
    expect(service.p50).toBeGreaterThan(1.5);
    expect(service.p50).toBeLessThan(6);
    expect(corrected.p99 / service.p50).toBeGreaterThan(15);
    // Stub timings arrive through Server-Timing.
    expect(report.serverTiming.sustain?.total?.count).toBe(report.measured.ok);
    expect(report.measured.errors).toBe(0);
    // Event-loop delay is how late the monitor's timer fired, not its 10 ms interval.
    for (const thread of report.generator.threads) expect(thread.delayP99Ms).toBeLessThan(10);
  });

  it('holds 5,000 RPS over the sustain phase (achieved within 1 % of target)', {
    timeout: 90_000,
  }, async () => {
    const target = await startStub({ serviceMs: 0 });
    const report = await validBench({
      target,
      connections: 32,
      // A warm-up at the full rate: JIT compilation (of the generator and of the stub) is over
      // before the measured phase, and does not compete with the generator for the 2 cores.
      phases: [
        { name: 'warmup', duration: 2, rate: 5000 },
        { name: 'sustain', duration: 3, rate: 5000 },
      ],
      thresholds: ['sustain.achieved >= 0.99 * target', 'errors == 0', 'dropped == 0'],
    });
    const sustain = report.phases.find((p) => p.name === 'sustain')!;
    const cpu = report.generator.cpu;
    console.info(
      `5,000 RPS: achieved ${sustain.achievedRps.toFixed(1)} rps (${((sustain.achievedRps / 5000 - 1) * 100).toFixed(2)} %), dispatch lag p99 ${report.generator.dispatchLag.p99} ms (per second: ${report.seconds.map((x) => x.dispatchLagP99).join(' ')}), generator CPU ${cpu?.usPerRequest.toFixed(0)} µs/request`,
    );
    expect(sustain.scheduled).toBe(15_000);
    expect(sustain.achievedRps / 5000).toBeGreaterThanOrEqual(0.99);
    expect(sustain.achievedRps / 5000).toBeLessThanOrEqual(1.01);
    expect(report.thresholds.every((t) => t.pass)).toBe(true);
    // The process's CPU over the schedule, per request: some, and less than a core's worth.
    expect(cpu?.seconds).toBeGreaterThan(0);
    expect(cpu?.usPerRequest).toBeGreaterThan(0);
    expect(cpu?.usPerRequest).toBeLessThan(1e6 / 5000);
  });

  it('marks a run invalid when the generator cannot keep its schedule', async () => {
    const target = await startStub({ serviceMs: 0 });
    const report = await bench({
      target,
      connections: 16,
      timeout: 2,
      phases: [{ name: 'sustain', duration: 1, rate: 50_000 }],
      thresholds: ['errors < 50%'],
    });
    expect(report.generator.valid).toBe(false);
    expect(report.verdict.bottleneck).toBe('generator-bound');
    expect(report.pass).toBe(false);
    expect(report.generator.invalidReasons.join(' ')).toMatch(/dispatch lag|event loop/);
  }, 60_000);
});
