/**
 * The dashboard's transfer search and project view in Debian's chromium through playwright-core,
 * on the relayer's real parts (anvil mining a block a second, a funded signing key, SQLite) with
 * tenancy on: the admin finds a transfer by its idempotency key and sees its state timeline up to
 * confirmed; a project's API key signs in to a view of that project alone, and the other
 * project's data is refused to it. Saves the screenshots docs/dashboard.md shows.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SqlRelayerStore } from '../src/relayer/sql-relayer-store.js';
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
const adminToken = randomBytes(16).toString('hex');

let fixture: RelayerFixture;
let relayerStore: SqlRelayerStore;
let browser: Browser;
const acme = { id: '', secret: '', confirmed: '', failed: '' };
const globex = { id: '', secret: '', transfer: '' };
const requests: string[] = [];

/** Polls (the pages' CSP forbids the string evaluation waitForFunction would need). */
async function until(check: () => Promise<boolean>, boundMs: number, what: string): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function send(secret: string, idempotencyKey: string, amount: string): Promise<string> {
  const answer = await fixture.post(
    '/v1/transfers',
    { transfers: [{ token: 'DEMO', to: randomAddress(), amount }] },
    { 'idempotency-key': idempotencyKey, 'x-api-key': secret },
  );
  expect(answer.status).toBe(202);
  return answer.body.ids[0] as string;
}

async function openPage(problems: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`console ${message.type()}: ${message.text()}`);
  });
  return page;
}

async function signIn(page: Page, secret: string): Promise<void> {
  await page.goto(`${fixture.baseUrl}/dashboard`);
  await page.fill('#token', secret);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  expect(new URL(page.url()).pathname).toBe('/dashboard');
}

beforeAll(async () => {
  fixture = await startRelayerFixture({
    dialect: 'sqlite',
    keys: 1,
    // A transfer above all the key holds fails after 1 s (ERR_RELAYER_INSUFFICIENT_FUNDS).
    relayer: { unfundedTimeoutMs: 1_000 },
    extra: { tenancy: { enabled: true, adminToken, usageFlushMs: 100 } },
  });
  relayerStore = new SqlRelayerStore(fixture.database.store, { webhooks: false });
  const store = fixture.gateway!.tenancy!.parts.store!;
  const plan = await store.createPlan({
    name: 'growth',
    rateLimit: { perSecond: 100, burst: 200 },
    monthlyQuota: 1_000_000,
  });
  for (const [who, name] of [
    [acme, 'acme'],
    [globex, 'globex'],
  ] as const) {
    const project = await store.createProject({ name, planId: plan.id, credits: 250_000 });
    const issued = await store.createKey({ projectId: project.id, name: `${name} backend` });
    who.id = project.id;
    who.secret = issued.secret;
  }
  acme.confirmed = await send(acme.secret, 'payout-2026-12-07-001', '1250000');
  acme.failed = await send(acme.secret, 'payout-2026-12-07-002', (10n ** 31n).toString());
  globex.transfer = await send(globex.secret, 'globex-order-17', '990000');
  await until(
    async () => {
      const states = await Promise.all(
        [acme.confirmed, acme.failed, globex.transfer].map(
          async (id) => (await relayerStore.getTransfer(id))?.state,
        ),
      );
      return states[0] === 'confirmed' && states[1] === 'failed' && states[2] === 'confirmed';
    },
    60_000,
    'transfers settled',
  );
  await fixture.gateway!.tenancy!.parts.meter!.flush();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await fixture?.close();
});

const steps = (page: Page, transfer: string) =>
  page.$$eval(`article[data-transfer="${transfer}"] [data-step]`, (items) =>
    items.map((item) => item.getAttribute('data-step')),
  );

it('finds a transfer by idempotency key, with its state timeline', async () => {
  const problems: string[] = [];
  const page = await openPage(problems);
  await signIn(page, adminToken);
  // The newest transfers of every project.
  await page.waitForSelector(`#recent-transfers tr[data-transfer="${globex.transfer}"]`, { timeout: 10_000 });
  await page.waitForSelector(`#recent-transfers tr[data-transfer="${acme.confirmed}"]`, { timeout: 10_000 });

  await page.fill('#transfer-query', 'payout-2026-12-07-001');
  await page.click('#transfer-search button[type=submit]');
  await page.waitForSelector(`article[data-transfer="${acme.confirmed}"][data-state="confirmed"]`, {
    timeout: 10_000,
  });
  const found = await steps(page, acme.confirmed);
  expect(found[0]).toBe('accepted');
  expect(found[1]).toBe('batched');
  expect(found).toContain('signed');
  expect(found).toContain('broadcast');
  expect(found[found.length - 1]).toBe('confirmed');
  expect(await page.textContent('#transfer-message')).toBe('1 transfer by idempotency key');
  await page.locator('#transfers-panel').screenshot({ path: `${IMAGES}dashboard-transfer-search.png` });

  // The failed one says why.
  await page.fill('#transfer-query', acme.failed);
  await page.click('#transfer-search button[type=submit]');
  await page.waitForSelector(`article[data-transfer="${acme.failed}"][data-state="failed"]`, {
    timeout: 10_000,
  });
  expect(await steps(page, acme.failed)).toStrictEqual(['accepted', 'failed']);
  expect(
    await page.textContent(`article[data-transfer="${acme.failed}"] [data-step="failed"] .detail`),
  ).toContain('ERR_RELAYER_INSUFFICIENT_FUNDS');
  expect(problems).toEqual([]);
  await page.context().close();
});

it("the project view shows one project and refuses another's data", async () => {
  const problems: string[] = [];
  const page = await openPage(problems);
  await signIn(page, acme.secret);
  await until(
    async () => ((await page.textContent('#project-name')) ?? '').startsWith('acme'),
    10_000,
    'project name',
  );
  expect(await page.getAttribute('body', 'data-project')).toBe(acme.id);
  // Two relayer POSTs, one request each.
  await until(async () => (await page.textContent('#month-requests')) === '2', 10_000, 'month requests');
  expect(await page.textContent('#credits')).not.toBe('not prepaid');
  expect(await page.textContent('#plan')).toContain('100/s, burst 200');
  // Only acme's transfers are listed.
  await page.waitForSelector(`#recent-transfers tr[data-transfer="${acme.confirmed}"]`, { timeout: 10_000 });
  const listed = await page.$$eval('#recent-transfers tr[data-transfer]', (rows) =>
    rows.map((row) => row.getAttribute('data-transfer')),
  );
  expect(listed.sort()).toStrictEqual([acme.confirmed, acme.failed].sort());
  // Its own transfer is found; the other project's, by key or by id, is not.
  await page.fill('#transfer-query', 'payout-2026-12-07-001');
  await page.click('#transfer-search button[type=submit]');
  await page.waitForSelector(`article[data-transfer="${acme.confirmed}"][data-state="confirmed"]`, {
    timeout: 10_000,
  });
  await page.screenshot({ path: `${IMAGES}dashboard-project-view.png`, fullPage: true });
  // By its transaction hash: acme's transfer alone, though the batch may carry globex's too.
  const txHash = (await relayerStore.getTransfer(acme.confirmed))!.txHash!;
  await page.fill('#transfer-query', txHash);
  await page.click('#transfer-search button[type=submit]');
  await until(
    async () => (await page.textContent('#transfer-message')) === '1 transfer by transaction hash',
    10_000,
    'search by hash',
  );
  expect(
    await page.$$eval('#transfer-results article', (items) =>
      items.map((item) => item.getAttribute('data-transfer')),
    ),
  ).toStrictEqual([acme.confirmed]);
  for (const q of ['globex-order-17', globex.transfer]) {
    await page.fill('#transfer-query', q);
    await page.click('#transfer-search button[type=submit]');
    await until(
      async () => ((await page.textContent('#transfer-message')) ?? '').startsWith('ERR_DASHBOARD_NOT_FOUND'),
      10_000,
      `refusal of ${q}`,
    );
    expect(await page.$$('#transfer-results article')).toHaveLength(0);
  }
  // Tampering with the API from this session (the browser's own cookie).
  const api = page.context().request;
  const other = await api.get(`${fixture.baseUrl}/dashboard/api/project?project=${globex.id}`);
  expect(other.status()).toBe(403);
  expect((await other.json()).error.data.code).toBe('ERR_DASHBOARD_FORBIDDEN');
  expect((await api.get(`${fixture.baseUrl}/dashboard/api/transfers?project=${globex.id}`)).status()).toBe(
    403,
  );
  expect((await api.get(`${fixture.baseUrl}/dashboard/api/snapshot`)).status()).toBe(403);

  // The two refused searches are answered 404, which chromium logs; nothing else may have been.
  expect(problems).toEqual(
    Array(2).fill(
      'console error: Failed to load resource: the server responded with a status of 404 (Not Found)',
    ),
  );
  const origin = new URL(fixture.baseUrl).origin;
  expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
  await page.context().close();
});
