/**
 * `npm run chaos -- --quick` with two phases (kill -9 of an upstream listener, kill -9 of a
 * gateway instance) on the real fleet: 3 instances behind nginx, a throwaway PostgreSQL and
 * Redis, anvil with the relayer. Asserts what must hold whatever the machine's load: every
 * accepted transfer on chain exactly once, and the JSON report's shape. No timing assertions.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
// initdb must run as the `postgres` user, so the suite needs root (to switch to it) and the
// Debian binaries it starts.
const runnable =
  process.getuid?.() === 0 &&
  existsSync('/usr/sbin/nginx') &&
  existsSync('/usr/bin/redis-server') &&
  existsSync('/usr/lib/postgresql');

describe.skipIf(!runnable)('chaos suite, --quick', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loses and duplicates no transfer when an upstream and a gateway are killed', {
    timeout: 240_000,
  }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'turnpike-chaos-test-'));
    const json = join(dir, 'chaos.json');
    // Short windows: the phases still inject, lift and audit; the bound is the timeout above.
    await run(
      process.execPath,
      [
        'benchmarks/chaos.mjs',
        '--quick',
        '--phases',
        'upstream-kill,gateway-kill',
        '--before-seconds',
        '2',
        '--phase-seconds',
        '3',
        '--after-seconds',
        '4',
        '--json',
        json,
      ],
      { timeout: 230_000, killSignal: 'SIGTERM' },
    );
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report.schema).toBe('turnpike-chaos/1');
    expect(report.fleet).toMatchObject({ instances: 3, upstreams: 3 });
    expect(report.phases.map((p: { name: string }) => p.name)).toEqual(['upstream-kill', 'gateway-kill']);
    for (const phase of report.phases) {
      expect(phase.faultErrors).toEqual([]);
      expect(phase.timeline.injectedAt).not.toBeNull();
      expect(phase.timeline.liftedAt).not.toBeNull();
      expect(phase.transfers.accepted).toBeGreaterThan(0);
      expect(phase.transfers.lost).toBe(0);
      expect(phase.transfers.duplicated).toBe(0);
      for (const kind of ['rpc', 'transfer'])
        for (const window of ['before', 'fault', 'after'])
          expect(phase[kind][window]).toEqual(
            expect.objectContaining({ errorPct: expect.any(Number), p99Ms: expect.any(Number) }),
          );
      expect(phase.usage.rpc).toEqual(
        expect.objectContaining({ served: expect.any(Number), meteredOk: expect.any(Number) }),
      );
      expect(phase.rateLimit).toEqual(
        expect.objectContaining({ admitted: expect.any(Number), held: expect.any(Boolean) }),
      );
    }
  });
});
