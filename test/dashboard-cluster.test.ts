/**
 * The dashboard under `turnpike start --workers 2` (the real binary, a real anvil): the primary
 * samples both workers, and any worker accepts a session another signed (sessions are signed
 * with a secret the primary hands to every worker). The stream, served by whichever worker the
 * connection landed on, shows both workers' processes and the traffic both served.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AnvilNode, startAnvil, stopAllAnvils } from '../src/dev/anvil.js';
import { childPids, killAllCli, servingPid, startCli } from './support/cli.js';
import { readEvents, signIn } from './support/dashboard-client.js';
import { getFreePort } from './support/free-port.js';

const token = randomBytes(16).toString('hex');
let dir: string;
let anvil: AnvilNode;
let origin: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnpike-dashboard-cluster-'));
  const config = join(dir, 'turnpike.yaml');
  anvil = await startAnvil();
  await writeFile(
    config,
    `logging:\n  level: warn\nnetworks:\n  eth:\n    upstreams:\n      - id: anvil\n        url: ${anvil.url}\n`,
  );
  const port = await getFreePort();
  const cli = startCli(['start', '--config', config, '--workers', '2', '--port', String(port)], {
    TURNPIKE_ADMIN_TOKEN: token,
  });
  origin = `http://127.0.0.1:${port}`;
  await cli.waitForLine(/^ready /);
  expect(childPids(cli.pid)).toHaveLength(2);
});

afterAll(async () => {
  await killAllCli();
  await stopAllAnvils();
  await rm(dir, { recursive: true, force: true });
});

it('accepts a session on every worker and streams snapshots of both', async () => {
  const { status, cookie } = await signIn(origin, token);
  expect(status).toBe(303);
  // New connections until both workers have answered the session (bounded).
  const servedBy = new Set<number>();
  for (let i = 0; i < 40 && servedBy.size < 2; i++) {
    const res = await fetch(`${origin}/dashboard/api/snapshot`, { headers: { cookie, connection: 'close' } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    servedBy.add(servingPid(res.headers.get('x-request-id') ?? undefined));
  }
  expect(servedBy.size).toBe(2);

  let sending = true;
  const load = (async () => {
    while (sending) {
      const res = await fetch(`${origin}/eth`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      await res.arrayBuffer();
    }
  })();
  try {
    const { events } = await readEvents(origin, cookie, (seen) =>
      seen.some((e) => {
        if (e.event !== 'snapshot') return false;
        const snapshot = JSON.parse(e.data);
        return snapshot.workers.length === 2 && snapshot.byMethod.eth_chainId > 0;
      }),
    );
    expect(events[0]!.event).toBe('history');
    const last = JSON.parse(events.at(-1)!.data);
    expect(last.workers.map((w: { worker: string }) => w.worker).sort()).toEqual(['0', '1']);
    expect(last.upstreams).toMatchObject([{ network: 'eth', id: 'anvil', healthy: true }]);
  } finally {
    sending = false;
    await load;
  }
});
