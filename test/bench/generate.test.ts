/**
 * `generate` request kinds (the user's module builds every request) and per-request outcomes:
 * over two generator threads, every request carries its own key and body, and the outcomes say
 * exactly which ones the target accepted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile, validateScenario } from '../../src/bench/load-scenario.js';
import type { RequestOutcomes } from '../../src/bench/outcomes.js';
import { runBench } from '../../src/bench/run-bench.js';

const MODULE = new URL('./generate-requests.mjs', import.meta.url).href;
let server: Server;
let target = '';
const seen: { key: string | undefined; body: string; type: string | undefined }[] = [];

beforeAll(async () => {
  // Accepts every request but those whose number is a multiple of 7 (a conflict, 409).
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk;
    });
    req.on('end', () => {
      const key = req.headers['idempotency-key'] as string | undefined;
      seen.push({ key, body, type: req.headers['content-type'] });
      const seq = Number(key?.split('-').at(-1));
      res.writeHead(seq % 7 === 0 ? 409 : 202, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(() => {
  server?.close();
});

function scenario(generate: Record<string, unknown>, workers = 2) {
  const checked = validateScenario({
    target,
    metrics: false,
    workers,
    phases: [
      { name: 'warmup', duration: 0.5, rate: 100 },
      { name: 'sustain', duration: 1, rate: 200 },
    ],
    requests: [{ name: 'transfer', path: '/v1/transfers', generate, expect: { status: [200, 202] } }],
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  return checked.scenario;
}

describe('generate requests', () => {
  it('builds each request in the module; outcomes tell which were accepted', {
    timeout: 30_000,
  }, async () => {
    let outcomes: RequestOutcomes | undefined;
    const report = await runBench({
      scenario: scenario({ module: MODULE, export: 'uniqueRequests', options: { prefix: 'ab' } }),
      onOutcomes: (o) => {
        outcomes = o;
      },
    });
    // 50 warm-up + 200 sustain arrivals, numbered 0…249 over both threads.
    expect(seen).toHaveLength(250);
    const keys = new Set(seen.map((s) => s.key));
    expect(keys.size).toBe(250);
    for (const s of seen) {
      const seq = Number(s.key!.split('-').at(-1));
      expect(JSON.parse(s.body)).toEqual({ seq, to: `ab${seq.toString(16).padStart(8, '0')}` });
      expect(s.type).toBe('application/json');
    }
    expect(outcomes!.size).toBe(250);
    for (let seq = 0; seq < 250; seq++) {
      expect(outcomes!.ok(seq)).toBe(seq % 7 !== 0);
      expect(outcomes!.status(seq)).toBe(seq % 7 === 0 ? 409 : 202);
      expect(outcomes!.outcome(seq)).toBe(seq % 7 === 0 ? 'http_409' : 'ok');
      expect(outcomes!.kind(seq)).toBe('transfer');
    }
    expect(outcomes!.outcome(250)).toBeUndefined();
    const csv = outcomes!.toCsv().trim().split('\n');
    expect(csv[0]).toBe('seq,kind,status,outcome');
    expect(csv.slice(1, 3)).toEqual(['0,transfer,409,http_409', '1,transfer,202,ok']);
    expect(csv).toHaveLength(251);
    // The report agrees: errors are the multiples of 7 among the sustain phase's 50…249.
    const rejected = Array.from({ length: 200 }, (_, i) => i + 50).filter((seq) => seq % 7 === 0).length;
    expect(report.measured.errorsByKind).toEqual({ http_409: rejected });
    expect(report.kinds[0]).toMatchObject({ name: 'transfer', ok: 200 - rejected });
    expect(Date.parse(report.t0)).toBeGreaterThanOrEqual(Date.parse(report.startedAt));
  });

  it('fails the run with the export named when it is not a factory', { timeout: 30_000 }, async () => {
    await expect(
      runBench({ scenario: scenario({ module: MODULE, export: 'notAFunction' }, 1), inProcess: true }),
    ).rejects.toThrow(/no function export "notAFunction"/);
  });

  it('validates the kind and finds the module next to the scenario file', async () => {
    const only = validateScenario({
      target: 'http://127.0.0.1:1/',
      phases: [{ name: 'sustain', duration: 1, rate: 1 }],
      requests: [{ generate: { module: 'x.mjs' }, rpc: { method: 'eth_chainId' } }],
    });
    expect(only.ok ? [] : only.issues.map((i) => i.message)).toEqual([
      'give exactly one of rpc, batch, transfer, http, bodies, generate',
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'turnpike-generate-'));
    try {
      const file = join(dir, 'scenario.yaml');
      writeFileSync(
        file,
        `target: http://127.0.0.1:1/\nphases: [{ name: sustain, duration: 1s, rate: 1 }]\nrequests:\n  - generate: { module: ./requests.mjs }\n`,
      );
      const loaded = await loadScenarioFile(file, {});
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
      expect(loaded.scenario.requests[0]!.generate).toEqual({
        module: pathToFileURL(join(dir, 'requests.mjs')).href,
        export: 'default',
        method: 'POST',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
