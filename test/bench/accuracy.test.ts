/**
 * Accuracy of `turnpike bench` against a stub in a child process (its own event loop) with a
 * known service time and known stalls. Short runs (a few seconds) on a shared 2-core machine:
 * the assertions are on ratios and structure with generous margins, and each can fail.
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
 * Runs up to three times until the generator kept up. On a machine where other processes
 * starve it, every run may be invalid: the tool must then say so (never report a figure it
 * could not measure as valid), and the accuracy checks are skipped with a warning.
 */
async function validBench(input: Omit<ScenarioInput, 'requests'>): Promise<BenchReport | undefined> {
  let report: BenchReport | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    report = await bench(input);
    if (report.generator.valid) return report;
  }
  expect(report!.verdict.bottleneck).toBe('generator-bound');
  expect(report!.pass).toBe(false);
  console.warn(`accuracy not checked, generator starved: ${report!.generator.invalidReasons.join('; ')}`);
  return undefined;
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
    if (report === undefined) return;
    const { corrected, service } = report.measured;
    console.info(
      `stalls: corrected p50 ${corrected.p50} p99 ${corrected.p99} ms, service p50 ${service.p50} p99 ${service.p99} ms`,
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
  });

  it('holds 5,000 RPS over the sustain phase (achieved within 3 % of target)', {
    timeout: 90_000,
  }, async () => {
    const target = await startStub({ serviceMs: 0 });
    const report = await validBench({
      target,
      connections: 32,
      phases: [
        { name: 'warmup', duration: 1, rate: 2000 },
        { name: 'sustain', duration: 3, rate: 5000 },
      ],
      thresholds: ['sustain.achieved >= 0.97 * target', 'errors == 0', 'dropped == 0'],
    });
    if (report === undefined) return;
    const sustain = report.phases.find((p) => p.name === 'sustain')!;
    console.info(
      `5,000 RPS: achieved ${sustain.achievedRps.toFixed(1)} rps (${((sustain.achievedRps / 5000 - 1) * 100).toFixed(2)} %), dispatch lag p99 ${report.generator.dispatchLag.p99} ms`,
    );
    expect(sustain.scheduled).toBe(15_000);
    expect(sustain.achievedRps / 5000).toBeGreaterThan(0.97);
    expect(sustain.achievedRps / 5000).toBeLessThan(1.03);
    expect(report.thresholds.every((t) => t.pass)).toBe(true);
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
