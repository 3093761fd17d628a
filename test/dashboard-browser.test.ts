/**
 * The dashboard in Debian's chromium through playwright-core, on a real gateway in front of two
 * real anvils: the sign-in form refuses a wrong token and takes the right one; the page loads
 * with no console error and no request leaving 127.0.0.1; the request rate shown moves under
 * load; an anvil killed under load shows as unhealthy within 5 s. Saves the screenshots
 * docs/dashboard.md shows.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';

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

beforeAll(async () => {
  anvils = await Promise.all([startAnvil(), startAnvil()]);
  gateway = createGateway({
    logging: { level: 'silent' },
    tenancy: { adminToken: token },
    networks: { anvil: { upstreams: anvils.map((anvil, i) => ({ id: `anvil-${i}`, url: anvil.url })) } },
  });
  base = (await gateway.listen(0, '127.0.0.1')).url;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`console ${message.type()}: ${message.text()}`);
  });
  // Steady traffic all along: a mix of methods, so the tables have rows.
  load = (async () => {
    const methods = ['eth_blockNumber', 'eth_chainId', 'eth_getBalance'];
    let i = 0;
    while (sending) {
      const method = methods[i++ % methods.length]!;
      const params =
        method === 'eth_getBalance' ? ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', 'latest'] : [];
      await fetch(`${base}/anvil`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: i, method, params }),
      })
        .then((res) => res.arrayBuffer())
        .catch(() => undefined);
    }
  })();
});

afterAll(async () => {
  sending = false;
  await load;
  await browser?.close();
  await gateway?.close(1_000);
  await Promise.all((anvils ?? []).map((anvil) => anvil.stop()));
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
  // No relayer here: the transfer search says so (and asks nothing more).
  await until(
    async () => (await page.textContent('#transfer-message')) === 'The relayer is off on this gateway.',
    10_000,
  );
  // Both charts drawn (uPlot draws on canvas).
  expect(await page.$$eval('.uplot canvas', (canvases) => canvases.length)).toBe(2);
  // Let the charts gather a few seconds before the picture.
  await page.waitForTimeout(3_000);
  await page.screenshot({ path: `${IMAGES}dashboard-overview.png`, fullPage: true });

  await anvils[1]!.stop();
  await page.waitForSelector('[data-upstream="anvil/anvil-1"][data-health="unhealthy"]', { timeout: 5_000 });
  expect(await page.textContent('[data-upstream="anvil/anvil-0"] td:nth-child(3)')).toBe('healthy');
  await page.screenshot({ path: `${IMAGES}dashboard-upstream-down.png`, fullPage: true });

  expect(problems).toEqual([]);
  const origin = new URL(base).origin;
  expect(requests.length).toBeGreaterThan(4);
  expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
  expect(new URL(base).hostname).toBe('127.0.0.1');
});
