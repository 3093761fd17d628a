// The chaos fleet on loopback: a throwaway PostgreSQL and Redis (services.mjs), one anvil with
// the demo token and batch contract (interval mining), N upstream listeners (tcp-proxy.mjs) in
// front of it, N `turnpike start` instances (tenancy on in PostgreSQL, rate limits in Redis,
// relayer on with its engine in a worker of its own) and nginx in front of the instances.
// Every part has start()/kill() so a phase can crash it and bring it back.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePrivateKey } from 'viem/accounts';
import YAML from 'yaml';
import { startChild } from '../lib/children.mjs';
import { startNginxWithConfig } from '../lib/nginx.mjs';
import { freePort } from '../lib/ports.mjs';
import { startBenchAnvil, startIntervalMining } from '../lib/relayer-chain.mjs';
import { REPO_ROOT } from '../lib/servers.mjs';
import { createPostgres, createRedis, killGroup } from './services.mjs';

const PROXY = fileURLToPath(new URL('./tcp-proxy.mjs', import.meta.url));
const TURNPIKE_BIN = join(REPO_ROOT, 'bin/turnpike.js');
const KEYS_ENV = 'TURNPIKE_CHAOS_RELAYER_KEYS';
export const NETWORK = 'anvil';

/** A restartable child: `start()` runs `launch()` and keeps the child; `kill()` is SIGKILL to its group. */
function restartable(launch) {
  const part = {
    child: null,
    async start() {
      part.child = await launch();
    },
    async kill() {
      if (part.child) await killGroup(part.child);
      part.child = null;
    },
  };
  return part;
}

async function startUpstreams(count, anvilPort) {
  const upstreams = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const part = restartable(() =>
      startChild(`upstream-${i}`, process.execPath, [PROXY, String(port), String(anvilPort)], {
        ready: /ready http/,
      }),
    );
    await part.start();
    upstreams.push(Object.assign(part, { id: `u${i}`, port, url: `http://127.0.0.1:${port}/` }));
  }
  return upstreams;
}

function gatewayConfig({ port, postgres, redis, upstreams, contracts, options }) {
  return {
    server: { host: '127.0.0.1', port, workers: options.workers },
    logging: { level: 'warn' },
    storage: { database: postgres.url, redisUrl: redis.url },
    tenancy: {
      enabled: true,
      rateLimitFailure: options.rateLimitFailure,
      rateLimitTimeoutMs: options.rateLimitTimeoutMs,
    },
    networks: { [NETWORK]: { upstreams: upstreams.map((u) => ({ id: u.id, url: u.url })) } },
    relayer: {
      enabled: true,
      network: NETWORK,
      batchContract: contracts.batchContract,
      tokens: { DEMO: contracts.token },
      defaultToken: 'DEMO',
      keys: { env: KEYS_ENV },
    },
  };
}

async function startGateways({ dir, count, keys, ...rest }) {
  const gateways = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const path = join(dir, `gateway-${i}.yaml`);
    await writeFile(path, YAML.stringify(gatewayConfig({ port, ...rest })));
    const part = restartable(() =>
      startChild(`gateway-${i}`, process.execPath, [TURNPIKE_BIN, 'start', '--config', path], {
        ready: /ready (http:\/\/\S+)/,
        cwd: REPO_ROOT,
        timeoutMs: 90_000,
        env: { [KEYS_ENV]: keys.join(','), DATABASE_URL: '', REDIS_URL: '' },
      }),
    );
    gateways.push(Object.assign(part, { index: i, port, origin: `http://127.0.0.1:${port}` }));
  }
  // Together, as a deploy would; migrations run once under the database's lock.
  await Promise.all(gateways.map((g) => g.start()));
  return gateways;
}

/** The pid of an instance's relayer-engine worker (TURNPIKE_WORKER_ROLE=relayer in its environment). */
export async function relayerWorkerPid(gateway) {
  const primary = gateway.child.pid;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== primary) continue;
      const env = await readFile(`/proc/${entry}/environ`, 'utf8');
      if (env.split('\0').includes('TURNPIKE_WORKER_ROLE=relayer')) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return null;
}

/**
 * nginx's retry of a request whose instance failed. `on` (the default): a request that reached
 * an instance which then died (connection reset, no answer) is re-sent to the next one, POST
 * included (`non_idempotent`): JSON-RPC reads are safe to repeat, and a transfer carries an
 * Idempotency-Key, so its second delivery answers the stored one. Bounded to 2 tries in 15 s.
 * Turnpike's own 502s (every upstream node failed) are not retried: the other instances share
 * those nodes. `off`: only a refused connection is retried (nginx's default for POST).
 */
function nginxRetry(mode) {
  return mode === 'off'
    ? '      proxy_next_upstream error timeout;'
    : [
        '      proxy_next_upstream error timeout non_idempotent;',
        '      proxy_next_upstream_tries 2;',
        '      proxy_next_upstream_timeout 15s;',
      ].join('\n');
}

function nginxBody(port, gateways, retry) {
  // Passive health: one failure takes an instance out for 2 s.
  const servers = gateways
    .map((g) => `    server 127.0.0.1:${g.port} max_fails=1 fail_timeout=2s;`)
    .join('\n');
  return `
  upstream turnpike {
${servers}
    keepalive 64;
    keepalive_timeout 60s;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://turnpike;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Request-Id $request_id;
      proxy_connect_timeout 1s;
      proxy_read_timeout 30s;
${nginxRetry(retry)}
    }
  }`;
}

export async function startFleet({ dir, options, log }) {
  log('fleet: PostgreSQL (initdb, own port) and Redis (own port)…');
  const [postgres, redis] = await Promise.all([createPostgres(), createRedis()]);
  log(`fleet: postgres ${postgres.port}, redis ${redis.port}; anvil with the demo token…`);
  const anvil = await startBenchAnvil({ gasLimit: 300_000_000 });
  const keys = Array.from({ length: options.relayerKeys }, () => generatePrivateKey());
  const { deployDemoContracts } = await import('turnpike/dev');
  const contracts = await deployDemoContracts({
    rpcUrl: anvil.url,
    signerKeys: keys,
    mintPerSigner: 10n ** 30n,
  });
  await startIntervalMining(anvil.url, 1);
  const anvilPort = Number(new URL(anvil.url).port);
  const upstreams = await startUpstreams(3, anvilPort);
  log(`fleet: upstream listeners ${upstreams.map((u) => u.port).join(', ')}; seeding tenancy…`);
  const { seedChaosTenancy } = await import('./tenancy.mjs');
  const tenancy = await seedChaosTenancy(postgres.url, options);
  log(`fleet: ${options.instances} gateway instances (${options.workers} worker each + relayer engine)…`);
  const gateways = await startGateways({
    dir,
    count: options.instances,
    keys,
    postgres,
    redis,
    upstreams,
    contracts,
    options,
  });
  const lbPort = await freePort();
  const nginx = await startNginxWithConfig(
    'nginx-lb',
    nginxBody(lbPort, gateways, options.nginxRetry),
    1,
    `http://127.0.0.1:${lbPort}/healthz`,
  );
  return {
    postgres,
    redis,
    anvil,
    contracts,
    upstreams,
    gateways,
    nginx,
    tenancy,
    origin: `http://127.0.0.1:${lbPort}`,
  };
}
