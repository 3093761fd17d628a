/**
 * `turnpike dev`: a local anvil node (chain id 31337) and a gateway serving it as network
 * `local`, with tenancy on (a throwaway SQLite database, one API key, an admin token — a random
 * one unless TURNPIKE_ADMIN_TOKEN is set; the network stays keyless too) and the relayer on (a
 * demo token DEMO and the batch contract deployed on anvil, fresh signing keys). Needs no
 * services. Prints `ready <url>` once /readyz is green, then the key, the admin token and the
 * relayer's URL; stops every child on Ctrl-C or SIGTERM.
 */
import { envValue, SETTING_ENV } from '../config/effective-settings.js';
import { resolveConfig } from '../config/load.js';
import { type AnvilNode, startAnvil } from '../dev/anvil.js';
import { assertDevPrerequisites } from '../dev/dev-prerequisites.js';
import { DEV_TOKEN_NAME, type DevRelayer, setUpDevRelayer } from '../dev/dev-relayer.js';
import { createDevTenancy, type DevTenancy } from '../dev/dev-tenancy.js';
import { expectPositionals, integerInRange, parseFlags, UsageError } from './parse-flags.js';
import { runCommand } from './run-command.js';
import { type RunningGateway, runGateway, stopOnSignals } from './run-gateway.js';

const DEV_CHAIN_ID = 31337;
const ADMIN_TOKEN_ENV = SETTING_ENV.adminToken;
/** As for `turnpike start` (admin/admin-auth.ts). */
const MIN_ADMIN_TOKEN_LENGTH = 16;
/**
 * Blocks below anvil's head that count as final for the cache. anvil never reorgs by itself
 * (only on request: anvil_reorg, evm_revert), and its `finalized` tag is always the genesis
 * block, so with the default `finality: tag` no block would ever be final.
 */
const DEV_FINALITY_DEPTH = 2;

export const DEV_USAGE = `Usage: turnpike dev [--port 4000] [--workers N]

Starts a local anvil node (chain id 31337) and a gateway serving it at /local, with tenancy
(a throwaway SQLite database, one API key, an admin token) and the relayer (a DEMO token).
Needs no services; Ctrl-C stops everything.

Options:
  --port, -p P       gateway port (default 4000; 0 picks a free one)
  --workers, -w N    worker processes (default: one per core)
  --help, -h         this text

Environment:
  TURNPIKE_ADMIN_TOKEN   admin token to use instead of a random one (16+ characters)
  DATABASE_URL and REDIS_URL are ignored: dev uses no services.

Exit codes: 0 stopped by Ctrl-C or SIGTERM, 1 could not start, 2 bad flag or a
TURNPIKE_ADMIN_TOKEN shorter than 16 characters.
`;

export function runDev(args: string[]): Promise<number> {
  return runCommand({ name: 'dev', usage: DEV_USAGE, run: dev }, args);
}

async function dev(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    workers: { type: 'string', short: 'w' },
    port: { type: 'string', short: 'p' },
  });
  expectPositionals(positionals, []);
  const options = {
    workers: integerInRange('--workers', values.workers, 0, 1024),
    port: integerInRange('--port', values.port, 0, 65_535),
  };
  const envAdminToken = envValue(process.env, ADMIN_TOKEN_ENV);
  if (envAdminToken !== undefined && envAdminToken.length < MIN_ADMIN_TOKEN_LENGTH)
    throw new UsageError(
      `${ADMIN_TOKEN_ENV} is too short: the admin token needs at least ${MIN_ADMIN_TOKEN_LENGTH} characters`,
    );
  assertDevPrerequisites();
  const anvil = await startAnvil({ chainId: DEV_CHAIN_ID });
  let gateway: RunningGateway | undefined;
  let tenancy: DevTenancy | undefined;
  let relayer: DevRelayer;
  const stop = async () => {
    await gateway?.stop();
    await anvil.stop();
    tenancy?.remove();
  };
  try {
    // dev needs no services: a shell's DATABASE_URL / REDIS_URL must not point it at real ones.
    // TURNPIKE_ADMIN_TOKEN stays (the gateway reads it as in production) unless it is empty.
    for (const name of [SETTING_ENV.database, SETTING_ENV.redisUrl]) delete process.env[name];
    if (envAdminToken === undefined) delete process.env[ADMIN_TOKEN_ENV];
    // Deploying costs ~1 s; compiling the contracts with solc-js ~5 s more on the first run
    // only (cached on disk in the OS temp folder).
    tenancy = await createDevTenancy();
    relayer = await setUpDevRelayer({ rpcUrl: anvil.url, network: 'local' });
    const config = resolveConfig({
      server: { port: options.port ?? 4000, workers: options.workers ?? 0 },
      logging: { level: 'warn' },
      storage: { database: tenancy.database },
      tenancy: { enabled: true, adminToken: envAdminToken ?? tenancy.adminToken },
      networks: {
        local: {
          chainId: DEV_CHAIN_ID,
          health: { maxBlockLag: 0 },
          access: { keyless: true },
          // anvil mines on every transaction: block numbers must not lag behind it.
          cache: { blockNumberMaxAgeMs: 0, finality: 'depth', depth: DEV_FINALITY_DEPTH },
          upstreams: [{ id: 'anvil', url: anvil.url }],
        },
      },
      relayer: relayer.config,
    });
    gateway = await runGateway(config);
    await waitReady(gateway.url, anvil);
  } catch (err) {
    await stop();
    throw err;
  }
  process.stdout.write(`ready ${gateway.url}/local\n`);
  process.stdout.write(`api key ${tenancy.apiKey}   (metered: POST ${gateway.url}/local/<key>)\n`);
  // A token of the user's own is not echoed to the terminal (or a CI log).
  const shownToken = envAdminToken === undefined ? tenancy.adminToken : `from ${ADMIN_TOKEN_ENV}`;
  process.stdout.write(`admin token ${shownToken}   (GET ${gateway.url}/admin/v1/usage)\n`);
  process.stdout.write(
    `relayer POST ${gateway.url}/v1/transfers  (token ${DEV_TOKEN_NAME} ${relayer.token}, batch contract ${relayer.batchContract})\n`,
  );
  await stopOnSignals(stop);
  return 0;
}

async function waitReady(url: string, anvil: AnvilNode): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${url}/readyz`).catch(() => undefined);
    if (response?.status === 200) return;
    await response?.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gateway did not become ready within 30 s (anvil at ${anvil.url})`);
}
