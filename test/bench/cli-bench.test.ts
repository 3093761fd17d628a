/** `turnpike bench` as users run it (the built binary): exit codes, reports on disk, bad files. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const STUB = fileURLToPath(new URL('./stub-server.mjs', import.meta.url));
let stub: ChildProcess;
let target = '';
const dir = mkdtempSync(join(tmpdir(), 'turnpike-bench-'));

beforeAll(async () => {
  stub = spawn(process.execPath, [STUB, JSON.stringify({ serviceMs: 1 })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    stub.stdout!.on('data', (data: Buffer) => {
      const match = /listening (\d+)/.exec(String(data));
      if (match) resolve(Number(match[1]));
    }),
  );
  target = `http://127.0.0.1:${port}/`;
});

afterAll(() => {
  stub.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

function scenario(name: string, thresholds: string[]): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `target: ${target}
metrics: false
workers: 2
phases:
  - { name: warmup, duration: 1s, rate: 200 }
  - { name: sustain, duration: 2s, rate: 400 }
requests:
  - { rpc: { method: eth_blockNumber }, weight: 3 }
  - { name: status, http: { method: GET }, path: /x, expect: { json: { "$.result": "0x1" } } }
thresholds: ${JSON.stringify(thresholds)}
`,
  );
  return file;
}

describe('turnpike bench (CLI)', () => {
  it('passes, writes the JSON and a self-contained HTML report, exit 0', { timeout: 120_000 }, async () => {
    const json = join(dir, 'report.json');
    const html = join(dir, 'report.html');
    const outcomes = join(dir, 'outcomes.csv');
    const file = scenario('pass.yaml', ['errors == 0', 'sustain.achieved >= 0.9 * target', 'dropped == 0']);
    const args = ['bench', file, '--json', json, '--html', html, '--outcomes', outcomes];
    let run = await runCli(args);
    // 3 = invalid: other processes starved the generator; try again, then accept it labelled so.
    for (let attempt = 1; attempt < 3 && run.code === 3; attempt++) run = await runCli(args);
    const { code, stdout, stderr } = run;
    expect(stderr).toMatch(/sustain/);
    if (code === 3) expect(stdout).toContain('result: INVALID (generator-bound)');
    else {
      expect(code, stdout).toBe(0);
      expect(stdout).toContain('result: PASS');
    }
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.schema).toBe('turnpike-bench/1');
    expect(report.settings.workers).toBe(2);
    expect(report.phases.map((p: { scheduled: number }) => p.scheduled)).toEqual([200, 800]);
    expect(report.kinds.map((k: { name: string }) => k.name)).toEqual(['eth_blockNumber', 'status']);
    // One line per request, in sequence order, every one answered.
    const lines = readFileSync(outcomes, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('seq,kind,status,outcome');
    expect(lines).toHaveLength(1001);
    expect(lines[1]).toMatch(/^0,(eth_blockNumber|status),200,ok$/);
    expect(lines.at(-1)).toMatch(/^999,/);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg');
    // Opens without a network: nothing is loaded from anywhere.
    expect(page).not.toMatch(/\b(src|href)=/);
    expect(page).not.toMatch(/@import|url\(/);
  });

  it('exit 1 when a threshold fails', { timeout: 60_000 }, async () => {
    const { code, stdout } = await runCli(['bench', scenario('fail.yaml', ['sustain.p50 < 1us']), '--quiet']);
    expect(stdout).toMatch(/FAIL\s+sustain\.p50 < 1us/);
    // An invalid run (3) takes precedence over a failed threshold (1).
    expect(code).toBe(stdout.includes('result: INVALID') ? 3 : 1);
  });

  it('exit 2 with the path of every mistake in a bad scenario', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'target: nowhere\nphases: []\nrequests:\n  - { rpc: { method: 1 } }\n');
    const { code, stderr } = await runCli(['bench', file]);
    expect(code).toBe(2);
    expect(stderr).toContain('target: expected an http(s) URL');
    expect(stderr).toMatch(/phases: /);
    expect(stderr).toMatch(/requests\[0\]\.rpc\.method: /);
  });
});
