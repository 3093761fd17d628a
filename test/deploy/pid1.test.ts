/**
 * The image runs `turnpike start` with the cluster primary as PID 1 (no init). PID 1 is special:
 * the kernel delivers it only the signals it has a handler for, and orphans are re-parented to
 * it. Here the primary really is PID 1 of a new PID namespace (unshare), as in a container: on
 * SIGTERM it drains — the request in flight is answered — and exits 0 with its workers reaped.
 * docs/deployment.md, "PID 1".
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childPids, isAlive, ROOT } from '../support/cli.js';
import { getFreePort } from '../support/free-port.js';

const SLOW_MS = 1_500;
let upstream: Server;
let upstreamUrl: string;

beforeAll(async () => {
  // eth_call answers after SLOW_MS: the request the drain must wait for.
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const { id, method } = JSON.parse(body) as { id: unknown; method: string };
      const answer = () => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ jsonrpc: '2.0', id, result: method === 'eth_blockNumber' ? '0x10' : '0x01' }),
        );
      };
      if (method === 'eth_call') setTimeout(answer, SLOW_MS);
      else answer();
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => upstream?.close(resolve));
});

/** The pid namespace's init, seen from here: unshare's only child. */
async function namespaceInit(unsharePid: number): Promise<number> {
  for (;;) {
    const [child] = childPids(unsharePid);
    if (child !== undefined) return child;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('turnpike start as PID 1', () => {
  it('drains on SIGTERM: the request in flight is answered, then exit 0 with every worker reaped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'turnpike-pid1-'));
    const port = await getFreePort();
    const config = join(dir, 'turnpike.yaml');
    writeFileSync(
      config,
      [
        'server: { host: 127.0.0.1, port: 0, workers: 2, shutdownGraceMs: 10000 }',
        `storage: { database: ${join(dir, 'turnpike.db')} }`,
        'logging: { level: warn }',
        `networks: { eth: { health: { checkChainId: false }, upstreams: [ { url: "${upstreamUrl}" } ] } }`,
      ].join('\n'),
    );
    const userNamespace = process.getuid?.() === 0 ? [] : ['--user', '--map-root-user'];
    const unshare = spawn(
      'unshare',
      [
        ...userNamespace,
        '--pid',
        '--fork',
        '--mount-proc',
        process.execPath,
        'bin/turnpike.js',
        'start',
        '--config',
        config,
        '--port',
        String(port),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    unshare.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    unshare.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => unshare.once('close', (code) => resolve(code)));
    try {
      while (!stdout.includes('ready ')) {
        if (unshare.exitCode !== null) throw new Error(`exited early: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const init = await namespaceInit(unshare.pid!);
      // It is PID 1 inside: /proc of the namespace (mounted by unshare) shows its own pid as 1.
      const { readFileSync } = await import('node:fs');
      const nspid = readFileSync(`/proc/${init}/status`, 'utf8')
        .match(/^NSpid:\s+(.*)$/m)?.[1]
        ?.split(/\s+/);
      expect(nspid?.at(-1)).toBe('1');
      const workers = childPids(init);
      expect(workers.length).toBe(2);

      const slow = fetch(`http://127.0.0.1:${port}/eth`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method: 'eth_call',
          params: [{ to: '0x' + '11'.repeat(20) }, 'latest'],
        }),
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      process.kill(init, 'SIGTERM');
      const answer = await slow;
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ jsonrpc: '2.0', id: 7, result: '0x01' });
      expect(await exited).toBe(0);
      for (const worker of workers) expect(isAlive(worker)).toBe(false);
    } finally {
      if (unshare.exitCode === null) unshare.kill('SIGKILL');
    }
  }, 60_000);
});
