// The "disk under SQLite full" phase: a separate SQLite-backed instance (tenancy and relayer in
// one SQLite file, no Redis), because the fleet's store is PostgreSQL. Its database lives on a
// small tmpfs mounted for the phase; the fault fills that tmpfs to the last byte with a filler
// file, and the lift deletes the filler. The instance has its own relayer keys and its own demo
// token (so its nonces never meet the fleet's), and the same three upstream listeners.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey } from 'viem/accounts';
import YAML from 'yaml';
import { startChild, stopChild } from '../lib/children.mjs';
import { freePort } from '../lib/ports.mjs';
import { REPO_ROOT } from '../lib/servers.mjs';
import { NETWORK } from './fleet.mjs';
import { readUsageByKey, seedChaosTenancy } from './tenancy.mjs';

const MOUNT = join(tmpdir(), `turnpike-chaos-disk-${process.pid}`);
const KEYS_ENV = 'TURNPIKE_CHAOS_SQLITE_RELAYER_KEYS';
const TMPFS_SIZE = '64m';

function unmount() {
  try {
    execFileSync('umount', ['-l', MOUNT], { stdio: 'ignore' });
  } catch {
    // Not mounted.
  }
  rmSync(MOUNT, { recursive: true, force: true });
}
process.on('exit', unmount);

/** Writes zeros until the file system answers ENOSPC. */
function fill(path) {
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${path}`, 'bs=1M'], { stdio: 'ignore' });
  } catch {
    // dd exits 1 at "No space left on device": that is the point.
  }
}

export function diskFullFault(fleet, { dir, options, log }) {
  const database = join(MOUNT, 'turnpike.db');
  const filler = join(MOUNT, 'filler');
  const fault = {
    what: `SQLite instance (own, 1 worker + relayer) with its database on a ${TMPFS_SIZE} tmpfs filled to ENOSPC, filler deleted at the end of the window`,
    origin: null,
    keys: null,
    token: null,
    child: null,
    async setup() {
      unmount();
      mkdirSync(MOUNT, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', MOUNT]);
      const keys = Array.from({ length: 2 }, () => generatePrivateKey());
      const { deployDemoContracts } = await import('turnpike/dev');
      const contracts = await deployDemoContracts({
        rpcUrl: fleet.anvil.url,
        signerKeys: keys,
        mintPerSigner: 10n ** 30n,
      });
      const tenancy = await seedChaosTenancy(database, options, ['disk-full']);
      const port = await freePort();
      const config = {
        server: { host: '127.0.0.1', port, workers: options.workers },
        logging: { level: 'warn' },
        storage: { database },
        tenancy: { enabled: true },
        networks: { [NETWORK]: { upstreams: fleet.upstreams.map((u) => ({ id: u.id, url: u.url })) } },
        relayer: {
          enabled: true,
          network: NETWORK,
          batchContract: contracts.batchContract,
          tokens: { DEMO: contracts.token },
          defaultToken: 'DEMO',
          keys: { env: KEYS_ENV },
        },
      };
      const path = join(dir, 'gateway-sqlite.yaml');
      writeFileSync(path, YAML.stringify(config));
      log(`  disk-full: SQLite instance on port ${port}, database on tmpfs ${MOUNT}`);
      fault.child = await startChild(
        'gateway-sqlite',
        process.execPath,
        [join(REPO_ROOT, 'bin/turnpike.js'), 'start', '--config', path],
        {
          ready: /ready (http:\/\/\S+)/,
          cwd: REPO_ROOT,
          timeoutMs: 90_000,
          env: { [KEYS_ENV]: keys.join(','), DATABASE_URL: '', REDIS_URL: '' },
        },
      );
      fault.origin = `http://127.0.0.1:${port}`;
      fault.keys = tenancy.keys;
      fault.token = contracts.token;
    },
    inject: async () => fill(filler),
    lift: async () => rmSync(filler, { force: true }),
    /** Stops the instance (graceful: final usage flush) and reads what it metered. */
    async teardown() {
      if (fault.child) await stopChild(fault.child, 20_000);
      const usage = await readUsageByKey(database).catch((err) => ({ error: err.message }));
      unmount();
      return usage;
    },
  };
  return fault;
}
