/**
 * The dashboard in Debian's chromium through playwright-core, on a real gateway in front of two
 * real anvils: the sign-in form refuses a wrong token and takes the right one; the page loads
 * with no console error and no request leaving 127.0.0.1; the request rate shown moves under
 * load; an anvil killed under load shows as unhealthy within 5 s. With tenancy on (two keys,
 * one throttled), the panels move too: the stages' time per request, the top keys and projects,
 * rate-limited requests, and the retries the killed anvil causes (in its own upstream row too). Saves the screenshots
 * docs/dashboard.md shows.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { type RelayerFixture, randomAddress, startRelayerFixture } from './support/relayer-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const IMAGES = fileURLToPath(new URL('../docs/img/', import.meta.url));
const token = randomBytes(16).toString('hex');

let anvils: AnvilNode[];
let gateway: Gateway;
let base: string;
let browser: Browser;
let page: Page;
const requests: string[] = [];
const problems: string[] = [];
let sending = true;
let load: Promise<void>;
let transfers: Promise<void>;
let relayer: RelayerFixture;

// biome-ignore lint/suspicious/noExplicitAny: the test reads answers by path.
async function admin(path: string, body: unknown): Promise<any> {
  const res = await fetch(`${base}/admin/v1${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return res.json();
}

beforeAll(async () => {
  anvils = await Promise.all([startAnvil(), startAnvil()]);
  // The relayer sends transfers on a chain of its own (network "relay"), with two signing keys.
  relayer = await startRelayerFixture({ dialect: 'sqlite', keys: 2, gateway: false });
  gateway = createGateway({
    ...relayer.config,
    tenancy: { enabled: true, adminToken: token, usageFlushMs: 200, balanceRefreshMs: 500 },
    networks: {
      anvil: { upstreams: anvils.map((anvil, i) => ({ id: `anvil-${i}`, url: anvil.url })) },
      relay: { upstreams: [{ id: 'relay', url: relayer.anvil.url }] },
    },
    relayer: { ...relayer.config.relayer, network: 'relay' },
  });
  base = (await gateway.listen(0, '127.0.0.1')).url;
  await admin('/plans', { name: 'open' });
  await admin('/plans', { name: 'tight', rateLimit: { perSecond: 1, burst: 1 } });
  await admin('/projects', { name: 'acme', plan: 'open', credits: 50_000_000 });
  await admin('/projects', { name: 'thrifty', plan: 'tight' });
  const mainKey: string = (await admin('/keys', { project: 'acme', name: 'backend' })).secret;
  const tightKey: string = (await admin('/keys', { project: 'thrifty', name: 'cron' })).secret;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`console ${message.type()}: ${message.text()}`);
  });
  // Steady traffic all along: a mix of methods, so the tables have rows. Three requests at a time:
  // with one, the selection (least in-flight × latency) may send every request to the faster
  // anvil, and the one killed below would have no traffic to retry away from.
  const lane = async (first: number) => {
    const methods = ['eth_blockNumber', 'eth_chainId', 'eth_getBalance'];
    let i = first;
    while (sending) {
      const method = methods[i++ % methods.length]!;
      const params =
        method === 'eth_getBalance' ? ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', 'latest'] : [];
      // Every fifth request on the throttled key: most of those are refused (429).
      const key = i % 5 === 4 ? tightKey : mainKey;
      await fetch(`${base}/anvil/${key}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: i, method, params }),
      })
        .then((res) => res.arrayBuffer())
        .catch(() => undefined);
    }
  };
  load = Promise.all([lane(0), lane(1), lane(2)]).then(() => undefined);
  // Transfers for the relayer, a few a second: batches, nonces and confirmations.
  transfers = (async () => {
    for (let i = 0; sending; i++) {
      await fetch(`${base}/v1/transfers`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': mainKey,
          'idempotency-key': `browser-${i}`,
        },
        body: JSON.stringify({ token: 'DEMO', to: randomAddress(), amount: '7' }),
      })
        .then((res) => res.arrayBuffer())
        .catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
});

afterAll(async () => {
  sending = false;
  await Promise.all([load, transfers]);
  await browser?.close();
  await gateway?.close(1_000);
  await Promise.all((anvils ?? []).map((anvil) => anvil.stop()));
  await relayer?.close();
});

const number = (text: string | null) => Number(text);

/** Polls the page (its CSP forbids the string evaluation waitForFunction would need). */
async function until(check: () => Promise<boolean>, boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not seen within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('signs in, shows live numbers, and shows a killed upstream as unhealthy', async () => {
  await page.goto(`${base}/dashboard`);
  await page.fill('#token', 'this-is-not-the-admin-token');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  expect(await page.textContent('#sign-in-error')).toBe('That is not the admin token.');
  // The refused form is answered 401, which chromium logs; nothing else may have been.
  expect(problems).toEqual([
    'console error: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
  ]);
  problems.length = 0;
  await page.screenshot({ path: `${IMAGES}dashboard-sign-in.png` });
  await page.fill('#token', token);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  expect(new URL(page.url()).pathname).toBe('/dashboard');

  await until(async () => (await page.textContent('#status')) === 'live', 10_000);
  // The request rate shown under load: above zero, and it changes from second to second.
  await until(async () => number(await page.textContent('#rps')) > 0, 10_000);
  const first = await page.textContent('#rps');
  await until(async () => (await page.textContent('#rps')) !== first, 10_000);
  expect(number(await page.textContent('#rps'))).toBeGreaterThan(0);
  await page.waitForSelector('[data-upstream="anvil/anvil-1"][data-health="healthy"]', { timeout: 10_000 });
  // The three charts drawn (uPlot draws on canvas): traffic, latency, stages.
  expect(await page.$$eval('.uplot canvas', (canvases) => canvases.length)).toBe(3);

  // Where the time goes: a total per request above zero that moves, with the upstream stage.
  await until(async () => number(await page.textContent('#stage-total')) > 0, 10_000);
  const stageTotal = await page.textContent('#stage-total');
  await until(async () => (await page.textContent('#stage-total')) !== stageTotal, 10_000);
  expect(number(await page.textContent('[data-stage="upstream"] td:nth-child(2)'))).toBeGreaterThan(0);
  expect(await page.$$eval('#stage-bar span', (spans) => spans.length)).toBeGreaterThan(0);
  // Tenancy: both keys listed with their projects, the busy one's rate moving; refusals counted.
  const keyRate = async () =>
    number(await page.textContent('#top-keys tbody tr:first-child td:nth-child(3)'));
  await until(async () => (await keyRate()) > 0, 10_000);
  expect(await page.textContent('#top-keys tbody tr:first-child td:nth-child(2)')).toBe('acme');
  const firstRate = await keyRate();
  await until(async () => (await keyRate()) !== firstRate, 10_000);
  await until(async () => (await page.$$('#top-keys tbody tr')).length === 2, 10_000);
  await until(async () => number(await page.textContent('#rate-limited')) > 0, 10_000);
  await page.waitForSelector('[data-project="acme"]', { timeout: 10_000 });
  await until(
    // Shown with thousands separators.
    async () =>
      number((await page.textContent('[data-project="acme"] td:nth-child(4)'))?.replaceAll(',', '') ?? null) <
      50_000_000,
    10_000,
  );
  // Let the charts gather a few seconds before the picture.
  await page.waitForTimeout(3_000);
  // Relayer: both signing keys listed, their nonces moving; batches and confirmations measured.
  const nonces = async () =>
    (
      await page.$$eval('#relayer-keys tbody tr td:nth-child(3)', (cells) =>
        cells.map((cell) => cell.textContent),
      )
    )
      .map(Number)
      .reduce((sum, nonce) => sum + nonce, 0);
  await until(async () => (await page.$$('#relayer-keys tbody tr')).length === 2, 20_000);
  const firstNonces = await nonces();
  await until(async () => (await nonces()) > firstNonces, 20_000);
  const detail = async (label: string) =>
    number(await page.textContent(`#relayer-details tr[data-detail="${label}"] td:nth-child(2)`));
  await until(async () => (await detail('batch-size')) > 0, 20_000);
  await until(async () => (await detail('confirm-p50')) > 0, 20_000);
  await page.screenshot({ path: `${IMAGES}dashboard-overview.png`, fullPage: true });

  await anvils[1]!.stop();
  // A retry counts against the upstream retried away from: the dead anvil's retries/s cell
  // (column 11) is above zero for the seconds before its breaker opens. Watched from the kill on.
  const deadRetries = '[data-upstream="anvil/anvil-1"] td:nth-child(11)';
  const retriedAway = until(async () => number(await page.textContent(deadRetries)) > 0, 15_000).then(
    () => undefined,
    (err: unknown) => err,
  );
  await page.waitForSelector('[data-upstream="anvil/anvil-1"][data-health="unhealthy"]', { timeout: 5_000 });
  // The requests that met the dead anvil went to the other one: retries of network anvil.
  await page.waitForSelector('#failover [data-network="anvil"]', { timeout: 15_000 }).catch(async (err) => {
    throw new Error(`no retries shown: ${await page.textContent('#failover')} (${err})`);
  });
  expect(await page.textContent('[data-upstream="anvil/anvil-0"] td:nth-child(3)')).toBe('healthy');
  const notSeen = await retriedAway;
  if (notSeen !== undefined) throw new Error(`no retries shown on anvil-1's row: ${notSeen}`);
  await page.screenshot({ path: `${IMAGES}dashboard-upstream-down.png`, fullPage: true });

  expect(problems).toEqual([]);
  const origin = new URL(base).origin;
  expect(requests.length).toBeGreaterThan(4);
  expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
  expect(new URL(base).hostname).toBe('127.0.0.1');
});
