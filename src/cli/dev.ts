/**
 * `turnpike dev`: a local anvil node (chain id 31337) and a gateway serving it as network
 * `local`, with tenancy on (a throwaway SQLite database, one API key, an admin token; the
 * network stays keyless too) and the relayer on (a demo token DEMO and the batch contract
 * deployed on anvil, fresh signing keys). Needs no services. Prints `ready <url>` once /readyz
 * is green, then the key, the admin token and the relayer's URL; stops every child on Ctrl-C
 * or SIGTERM.
 */
import { resolveConfig } from '../config/load.js';
import { type AnvilNode, startAnvil } from '../dev/anvil.js';
import { DEV_TOKEN_NAME, type DevRelayer, setUpDevRelayer } from '../dev/dev-relayer.js';
import { createDevTenancy, type DevTenancy } from '../dev/dev-tenancy.js';
import { parseCommon } from './args.js';
import { type RunningGateway, runGateway, stopOnSignals } from './run-gateway.js';

const DEV_CHAIN_ID = 31337;

export async function runDev(args: string[]): Promise<number> {
  const options = parseCommon(args);
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
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'TURNPIKE_ADMIN_TOKEN']) delete process.env[name];
    // Deploying costs ~1 s; compiling the contracts with solc-js ~5 s more on the first run
    // only (cached on disk in the OS temp folder).
    tenancy = await createDevTenancy();
    relayer = await setUpDevRelayer({ rpcUrl: anvil.url, network: 'local' });
    const config = resolveConfig({
      server: { port: options.port ?? 4000, workers: options.workers ?? 0 },
      logging: { level: 'warn' },
      storage: { database: tenancy.database },
      tenancy: { enabled: true, adminToken: tenancy.adminToken },
      networks: {
        local: {
          chainId: DEV_CHAIN_ID,
          health: { maxBlockLag: 0 },
          access: { keyless: true },
          // anvil mines on every transaction: block numbers must not lag behind it.
          cache: { blockNumberMaxAgeMs: 0 },
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
  process.stdout.write(`admin token ${tenancy.adminToken}   (GET ${gateway.url}/admin/v1/usage)\n`);
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
