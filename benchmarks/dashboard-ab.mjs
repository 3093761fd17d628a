// A/B of "the dashboard costs the request path nothing": one gateway (a build's dist), in its own
// process in front of one anvil, loaded by wrk in alternating rounds with and without a
// chromium tab signed in to /dashboard (its event stream open, a snapshot a second). Prints the
// gateway process's CPU time per request (from /proc) for each round and the with/without ratio
// of the medians, for a cache hit (the known-shape fast path) and a proxied request (no cache).
//
//   node benchmarks/dashboard-ab.mjs [dist dir, default ./dist]
//
// Needs wrk and Debian's chromium (/usr/bin/chromium, or CHROMIUM). Env: AB_ROUNDS (5),
// AB_SECONDS (3), AB_CONNECTIONS (16).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { cpuPerRequest } from './lib/ab-cpu.mjs';

const dist = resolve(process.argv[2] ?? 'dist');
const rounds = Number(process.env.AB_ROUNDS ?? 5);
const seconds = Number(process.env.AB_SECONDS ?? 3);
const connections = Number(process.env.AB_CONNECTIONS ?? 16);
const token = randomBytes(16).toString('hex');
const body = '{"jsonrpc":"2.0","id":7,"method":"eth_getBlockByNumber","params":["0x2",false]}';
const WORKLOADS = { 'cache hit': 'anvil', proxied: 'raw' };

const { startAnvil } = await import(join(dist, 'dev/anvil.js'));
const anvil = await startAnvil();
await post(anvil.url, '{"jsonrpc":"2.0","id":1,"method":"anvil_mine","params":["0x14"]}');

const script = `
  const { createGateway } = await import(${JSON.stringify(join(dist, 'gateway.js'))});
  const gateway = createGateway({ logging: { level: 'silent' }, tenancy: { adminToken: ${JSON.stringify(token)} },
    networks: { anvil: { upstreams: [{ url: ${JSON.stringify(anvil.url)} }],
      cache: { finality: 'depth', depth: 5, headPollMs: 200 } },
      raw: { upstreams: [{ url: ${JSON.stringify(anvil.url)} }] } } });
  const { url } = await gateway.listen(0, '127.0.0.1');
  console.log(url);`;
const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const base = await new Promise((done) => child.stdout.once('data', (chunk) => done(chunk.toString().trim())));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});

async function post(url, text) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: text,
  });
  return res.text();
}

/** A signed-in tab following the stream; resolves once it has drawn a live snapshot. */
async function openDashboard() {
  const page = await browser.newPage();
  await page.goto(`${base}/dashboard`);
  await page.fill('#token', token);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  const deadline = Date.now() + 15_000;
  while ((await page.textContent('#status')) !== 'live' || (await page.textContent('#rps')) === '–') {
    if (Date.now() > deadline) throw new Error('the dashboard did not go live');
    await new Promise((done) => setTimeout(done, 100));
  }
  return page;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
try {
  for (const network of Object.values(WORKLOADS))
    for (let i = 0; i < 20; i++) await post(`${base}/${network}`, body);
  const results = Object.fromEntries(Object.keys(WORKLOADS).map((w) => [w, { without: [], with: [] }]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['without', 'with'] : ['with', 'without'];
    for (const mode of order) {
      const page = mode === 'with' ? await openDashboard() : undefined;
      for (const [workload, network] of Object.entries(WORKLOADS))
        results[workload][mode].push(
          await cpuPerRequest(child.pid, `${base}/${network}`, body, { connections, seconds }),
        );
      if (page !== undefined) {
        // Still streaming at the end of the round: the rows moved while wrk ran.
        if ((await page.textContent('#status')) !== 'live') throw new Error('the stream dropped');
        await page.close();
      }
    }
  }
  for (const [workload, { without, with: open }] of Object.entries(results))
    console.log(
      `${workload.padEnd(10)} CPU per request: no dashboard ${without.map((v) => v.toFixed(1)).join('/')} µs, ` +
        `dashboard open ${open.map((v) => v.toFixed(1)).join('/')} µs, median ratio ${(median(open) / median(without)).toFixed(3)}`,
    );
} finally {
  await browser.close();
  child.kill();
  await anvil.stop();
}
