// Throwaway backing services for the chaos fleet, each on its own port so the suite can stop
// and start them without touching the shared ones (PostgreSQL on 5432, Redis on 6379 are
// never stopped): a PostgreSQL cluster made with initdb in a temp dir, run as the `postgres`
// user (initdb refuses root), and a redis-server with persistence off.
import { execFile } from 'node:child_process';
import { chown, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir, startChild } from '../lib/children.mjs';
import { freePort } from '../lib/ports.mjs';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

async function pgBin(name) {
  const versions = (await readdir(PG_ROOT)).sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error(`no PostgreSQL under ${PG_ROOT}`);
  return join(PG_ROOT, versions[0], 'bin', name);
}

/** SIGKILL to a child's whole process group: a crash, not a shutdown. */
export function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  return child.exit;
}

/**
 * A fresh PostgreSQL cluster (trust auth, fsync off: it is thrown away) on a free port.
 * `start()` may be called again after a kill: same data dir, same port.
 */
export async function createPostgres() {
  const dir = await makeTempDir('turnpike-chaos-pg-');
  const data = join(dir, 'data');
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout);
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout);
  await chown(dir, uid, gid);
  await run('runuser', [
    '-u',
    'postgres',
    '--',
    await pgBin('initdb'),
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
  ]);
  const port = await freePort();
  const postgres = await pgBin('postgres');
  const service = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    child: null,
    async start() {
      service.child = await startChild(
        'postgres',
        'runuser',
        [
          '-u',
          'postgres',
          '--',
          postgres,
          '-D',
          data,
          '-p',
          String(port),
          '-k',
          dir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'fsync=off',
          '-c',
          'max_connections=300',
        ],
        { ready: /ready to accept connections/, timeoutMs: 60_000 },
      );
    },
    async kill() {
      if (service.child) await killGroup(service.child);
      service.child = null;
    },
  };
  await service.start();
  return service;
}

/** A redis-server with no persistence on a free port; `start()` again after `kill()`. */
export async function createRedis() {
  const port = await freePort();
  const service = {
    url: `redis://127.0.0.1:${port}`,
    port,
    child: null,
    async start() {
      service.child = await startChild(
        'redis',
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { ready: /Ready to accept connections/ },
      );
    },
    async kill() {
      if (service.child) await killGroup(service.child);
      service.child = null;
    },
  };
  await service.start();
  return service;
}
