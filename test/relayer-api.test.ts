/**
 * The relayer's HTTP API over real sockets, on a real SQLite store: validation (every field
 * refusal with its path), idempotent replay and conflict, back-pressure, group commit under a
 * burst, the read routes, the NEAR-service-compatible routes, and tenancy (keys, scoping,
 * metering). No engine runs: transfers stay `accepted`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnpikeConfigInput } from '../src/config/schema.js';
import { type AnvilNode, startAnvil } from '../src/dev/anvil.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import type { AcceptRequest } from '../src/relayer/model.js';
import type { RelayerStore } from '../src/relayer/relayer-store.js';
import { openRelayerStore } from '../src/relayer/sql-relayer-store.js';

const USDC = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const DAI = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';
const ALICE = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const ALICE_CHECKSUMMED = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const BOB = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc';

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by path and assert on what they find.
  readonly body: any;
}

/** A store that counts commits and can be told to fail them. */
function countingStore(real: RelayerStore) {
  const state = { commits: 0, requests: 0, fail: false };
  const store = new Proxy(real, {
    get(target, prop) {
      if (prop === 'acceptMany')
        return async (requests: readonly AcceptRequest[], now: number) => {
          if (state.fail) throw new Error('disk full (test)');
          state.commits++;
          state.requests += requests.length;
          return target.acceptMany(requests, now);
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, state };
}

interface Started {
  readonly gateway: Gateway;
  readonly baseUrl: string;
  readonly state: { commits: number; requests: number; fail: boolean };
  readonly store: RelayerStore;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

let anvil: AnvilNode;
const dirs: string[] = [];

async function start(
  relayer: Partial<NonNullable<TurnpikeConfigInput['relayer']>> = {},
  extra: Partial<TurnpikeConfigInput> = {},
): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-relayer-api-'));
  dirs.push(dir);
  const storage = { database: join(dir, 'turnpike.db') };
  const real = await openRelayerStore(
    {
      database: storage.database,
      schema: 'public',
      pool: { max: 4, idleTimeoutMs: 5_000, connectionTimeoutMs: 5_000, statementTimeoutMs: 10_000 },
    },
    { webhooks: false },
  );
  const { store, state } = countingStore(real);
  const gateway = createGateway(
    {
      logging: { level: 'silent' },
      storage,
      networks: { anvil: { upstreams: [{ id: 'anvil-0', url: anvil.url }] } },
      relayer: {
        enabled: true,
        engine: false,
        network: 'anvil',
        batchContract: '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0',
        tokens: { USDC, DAI },
        defaultToken: 'USDC',
        maxTransfersPerRequest: 5,
        maxMemoBytes: 8,
        ...relayer,
      },
      ...extra,
    },
    { relayerStore: store },
  );
  const { url: baseUrl } = await gateway.listen(0, '127.0.0.1');
  return {
    gateway,
    baseUrl,
    state,
    store: real,
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
    },
    async close() {
      await gateway.close(1_000);
      await real.close();
    },
  };
}

const key = () => `k-${randomBytes(8).toString('hex')}`;
const post = (tp: Started, body: unknown, idempotencyKey: string | null = key()) =>
  tp.call(
    'POST',
    '/v1/transfers',
    body,
    idempotencyKey === null ? {} : { 'idempotency-key': idempotencyKey },
  );

beforeAll(async () => {
  anvil = await startAnvil();
});

afterAll(async () => {
  await anvil?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('relayer API, tenancy off', () => {
  let tp: Started;
  beforeAll(async () => {
    tp = await start();
  });
  afterAll(async () => {
    await tp.close();
  });

  it('accepts one transfer with 202 after it is stored, and reads it back', async () => {
    const res = await post(tp, { token: 'USDC', to: ALICE_CHECKSUMMED, amount: '1000000', memo: 'hi' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      requestId: expect.any(String),
      status: 'accepted',
    });
    expect(res.headers.get('location')).toBe(`/v1/transfers/${res.body.id}`);
    const read = await tp.call('GET', `/v1/transfers/${res.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      id: res.body.id,
      requestId: res.body.requestId,
      status: 'accepted',
      token: USDC,
      to: ALICE,
      amount: '1000000',
      memo: 'hi',
      txHash: null,
      blockNumber: null,
      error: null,
    });
  });

  it('accepts a batch (token by name or address), ids in request order', async () => {
    const res = await post(tp, {
      transfers: [
        { token: 'USDC', to: ALICE, amount: '1' },
        { token: DAI.toLowerCase(), to: BOB, amount: '2' },
      ],
    });
    expect(res.status).toBe(202);
    expect(res.body.ids).toHaveLength(2);
    const second = await tp.call('GET', `/v1/transfers/${res.body.ids[1]}`);
    expect(second.body).toMatchObject({ token: DAI.toLowerCase(), to: BOB, amount: '2', memo: null });
  });

  it('takes the key from an idempotencyKey field too', async () => {
    const res = await post(tp, { token: 'USDC', to: ALICE, amount: '5', idempotencyKey: key() }, null);
    expect(res.status).toBe(202);
  });

  it('replays the same key and body with 200 and the same ids; another body is a 409', async () => {
    const k = key();
    const body = {
      transfers: [
        { token: 'USDC', to: ALICE, amount: '7' },
        { token: 'USDC', to: BOB, amount: '8' },
      ],
    };
    const first = await post(tp, body, k);
    expect(first.status).toBe(202);
    // The same transfers written differently (checksummed address, token address, leading zero).
    const again = await post(
      tp,
      {
        transfers: [
          { token: USDC, to: ALICE_CHECKSUMMED, amount: '07' },
          { token: 'USDC', to: BOB, amount: '8' },
        ],
      },
      k,
    );
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await post(tp, { transfers: [{ token: 'USDC', to: ALICE, amount: '9' }] }, k);
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('ERR_RELAYER_IDEMPOTENCY_CONFLICT');
  });

  it('stores concurrent requests with one key once', async () => {
    const k = key();
    const body = { token: 'USDC', to: ALICE, amount: '11' };
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(tp, body, k)));
    const ids = new Set(answers.map((answer) => answer.body.id));
    expect(ids.size).toBe(1);
    expect(answers.filter((answer) => answer.status === 202)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(19);
  });

  const invalid: [string, unknown, Record<string, string> | null, { path: string; message: RegExp }[]][] = [
    [
      'a short address',
      { token: 'USDC', to: '0x1234', amount: '1' },
      {},
      [{ path: 'to', message: /20-byte hex/ }],
    ],
    [
      'a wrong checksum',
      { token: 'USDC', to: ALICE_CHECKSUMMED.replace('C5', 'c5'), amount: '1' },
      {},
      [{ path: 'to', message: /EIP-55/ }],
    ],
    [
      'a zero amount',
      { token: 'USDC', to: ALICE, amount: '0' },
      {},
      [{ path: 'amount', message: /greater than zero/ }],
    ],
    [
      'a negative amount',
      { token: 'USDC', to: ALICE, amount: '-5' },
      {},
      [{ path: 'amount', message: /positive integer/ }],
    ],
    [
      'a fraction',
      { token: 'USDC', to: ALICE, amount: '1.5' },
      {},
      [{ path: 'amount', message: /positive integer/ }],
    ],
    [
      'an exponent',
      { token: 'USDC', to: ALICE, amount: '1e18' },
      {},
      [{ path: 'amount', message: /positive integer/ }],
    ],
    [
      'a JSON number',
      { token: 'USDC', to: ALICE, amount: 1000 },
      {},
      [{ path: 'amount', message: /JSON numbers are refused/ }],
    ],
    [
      'an amount above 2^256-1',
      { token: 'USDC', to: ALICE, amount: (1n << 256n).toString() },
      {},
      [{ path: 'amount', message: /overflows uint256/ }],
    ],
    [
      'an unknown token',
      { token: 'WETH', to: ALICE, amount: '1' },
      {},
      [{ path: 'token', message: /unknown token.*USDC, DAI/ }],
    ],
    [
      'a memo too long',
      { token: 'USDC', to: ALICE, amount: '1', memo: 'ééééé' },
      {},
      [{ path: 'memo', message: /10 UTF-8 bytes; at most 8/ }],
    ],
    [
      'unknown fields',
      { token: 'USDC', to: ALICE, amount: '1', from: BOB, gas: 1 },
      {},
      [
        { path: 'from', message: /unknown field/ },
        { path: 'gas', message: /unknown field/ },
      ],
    ],
    [
      'missing fields',
      { token: 'USDC' },
      {},
      [
        { path: 'to', message: /required/ },
        { path: 'amount', message: /required/ },
      ],
    ],
    ['an empty transfers array', { transfers: [] }, {}, [{ path: 'transfers', message: /at least one/ }]],
    [
      'a batch too large',
      { transfers: Array.from({ length: 6 }, () => ({ token: 'USDC', to: ALICE, amount: '1' })) },
      {},
      [{ path: 'transfers', message: /6 transfers; at most 5/ }],
    ],
    [
      'several bad items of a batch',
      {
        transfers: [
          { token: 'USDC', to: ALICE, amount: '1' },
          { token: 'USDC', to: 'bob', amount: 2, x: 1 },
        ],
      },
      {},
      [
        { path: 'transfers.1.x', message: /unknown field/ },
        { path: 'transfers.1.to', message: /address/ },
        { path: 'transfers.1.amount', message: /JSON numbers/ },
      ],
    ],
    [
      'a missing Idempotency-Key',
      { token: 'USDC', to: ALICE, amount: '1' },
      null,
      [{ path: 'Idempotency-Key', message: /required/ }],
    ],
    [
      'an Idempotency-Key too long',
      { token: 'USDC', to: ALICE, amount: '1' },
      { 'idempotency-key': 'x'.repeat(129) },
      [{ path: 'Idempotency-Key', message: /1-128 printable ASCII/ }],
    ],
    [
      'an idempotencyKey field with non-ASCII',
      { token: 'USDC', to: ALICE, amount: '1', idempotencyKey: 'clé' },
      null,
      [{ path: 'idempotencyKey', message: /printable ASCII/ }],
    ],
    ['a body that is not JSON', '{"token":', {}, [{ path: '(root)', message: /not valid JSON/ }]],
    ['a body that is an array', [], {}, [{ path: '(root)', message: /JSON object/ }]],
  ];

  it.each(invalid)(
    'refuses %s with a field-level 400 and stores nothing',
    async (_name, body, headers, issues) => {
      const commits = tp.state.commits;
      const res = await tp.call(
        'POST',
        '/v1/transfers',
        body,
        headers === null ? {} : { 'idempotency-key': key(), ...headers },
      );
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('ERR_RELAYER_INVALID');
      expect(res.body.error.issues).toHaveLength(issues.length);
      for (const issue of issues)
        expect(res.body.error.issues).toContainEqual({
          path: issue.path,
          message: expect.stringMatching(issue.message),
        });
      expect(tp.state.commits).toBe(commits);
    },
  );

  it('refuses a body over server.maxBodyBytes', async () => {
    const memo = 'x'.repeat(2 * 1024 * 1024);
    const res = await fetch(`${tp.baseUrl}/v1/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key() },
      body: JSON.stringify({ token: 'USDC', to: ALICE, amount: '1', memo }),
    }).catch((err: unknown) => err);
    // Either a 413 or the connection closed before the whole body was read.
    if (res instanceof Response) expect(res.status).toBe(413);
  });

  it('answers 404 for an unknown transfer or job, 405 for a wrong method', async () => {
    const missing = await tp.call('GET', '/v1/transfers/tr_nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ERR_RELAYER_NOT_FOUND');
    const job = await tp.call('GET', '/transfer/rq_nope');
    expect(job.status).toBe(404);
    const wrong = await tp.call('DELETE', '/v1/transfers');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toContain('POST');
  });

  it('lists transfers newest first, by status, page by page', async () => {
    const res = await post(tp, {
      transfers: Array.from({ length: 5 }, (_, i) => ({ token: 'USDC', to: BOB, amount: String(100 + i) })),
    });
    expect(res.status).toBe(202);
    const page = await tp.call('GET', '/v1/transfers?status=accepted&limit=3');
    expect(page.status).toBe(200);
    expect(page.body.transfers).toHaveLength(3);
    expect(page.body.transfers.every((t: { status: string }) => t.status === 'accepted')).toBe(true);
    expect(page.body.nextBefore).toBe(page.body.transfers[2].id);
    const next = await tp.call('GET', `/v1/transfers?limit=3&before=${page.body.nextBefore}`);
    const seen = new Set(page.body.transfers.map((t: { id: string }) => t.id));
    for (const transfer of next.body.transfers) expect(seen.has(transfer.id)).toBe(false);
    const none = await tp.call('GET', '/v1/transfers?status=confirmed');
    expect(none.body).toEqual({ transfers: [], nextBefore: null });
    const bad = await tp.call('GET', '/v1/transfers?status=done&limit=0&sort=asc');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual([
      'limit',
      'sort',
      'status',
    ]);
  });

  it('serves the NEAR-service routes: /send-ft makes a job, /transfer/{jobId} shows it', async () => {
    const one = await tp.call('POST', '/send-ft', { receiverId: ALICE, amount: '42', memo: 'gm' });
    expect(one.status).toBe(202);
    expect(one.body).toMatchObject({
      jobId: expect.any(String),
      status: 'queued',
      transferIds: [expect.any(String)],
    });
    // Without a key every call is a new job.
    const twin = await tp.call('POST', '/send-ft', { receiverId: ALICE, amount: '42', memo: 'gm' });
    expect(twin.status).toBe(202);
    expect(twin.body.jobId).not.toBe(one.body.jobId);
    const many = await tp.call('POST', '/send-ft', {
      transfers: [
        { receiverId: ALICE, amount: '1' },
        { receiverId: BOB, amount: '2', memo: 'x' },
      ],
    });
    expect(many.status).toBe(202);
    const job = await tp.call('GET', `/transfer/${many.body.jobId}`);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({
      jobId: many.body.jobId,
      status: 'queued',
      transfers: [
        {
          id: many.body.transferIds[0],
          receiverId: ALICE,
          amount: '1',
          status: 'accepted',
          transactionHash: null,
        },
        { id: many.body.transferIds[1], receiverId: BOB, amount: '2', memo: 'x', status: 'accepted' },
      ],
    });
    const token = await tp.call('GET', `/v1/transfers/${many.body.transferIds[0]}`);
    expect(token.body.token).toBe(USDC);
    // With a key, /send-ft is idempotent too.
    const k = key();
    const keyed = await tp.call(
      'POST',
      '/send-ft',
      { receiverId: BOB, amount: '3' },
      { 'idempotency-key': k },
    );
    const replay = await tp.call(
      'POST',
      '/send-ft',
      { receiverId: BOB, amount: '3' },
      { 'idempotency-key': k },
    );
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(keyed.body);
    const bad = await tp.call('POST', '/send-ft', { receiverId: 'alice.near', amount: '1', token: 'USDC' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual([
      'receiverId',
      'token',
    ]);
  });

  it('with ?wait=, answers the usual 202 when the timeout runs out (no engine runs here)', async () => {
    const started = performance.now();
    const res = await tp.call(
      'POST',
      '/v1/transfers?wait=confirmed&timeoutMs=300',
      { token: 'USDC', to: ALICE, amount: '31' },
      { 'idempotency-key': key() },
    );
    // A lower bound only, and a sure one: the gateway answers no sooner than the deadline.
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.any(String), requestId: expect.any(String), status: 'accepted' });
    expect(res.headers.get('location')).toBe(`/v1/transfers/${res.body.id}`);
    const ft = await tp.call('POST', '/send-ft?wait=submitted&timeoutMs=1', {
      receiverId: ALICE,
      amount: '32',
    });
    expect(ft.status).toBe(202);
    expect(ft.body).toMatchObject({
      jobId: expect.any(String),
      status: 'queued',
      transferIds: [expect.any(String)],
    });
  });

  it('with ?wait=, a replay waits on the stored transfers and answers the first body', async () => {
    const k = key();
    const body = { token: 'USDC', to: BOB, amount: '33' };
    const first = await post(tp, body, k);
    expect(first.status).toBe(202);
    const commits = tp.state.requests;
    const again = await tp.call('POST', '/v1/transfers?wait=submitted&timeoutMs=1', body, {
      'idempotency-key': k,
    });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(tp.state.requests).toBe(commits + 1);
    expect(await tp.store.countOpen()).toBeGreaterThan(0);
    const other = await tp.call(
      'POST',
      '/v1/transfers?wait=confirmed',
      { ...body, amount: '34' },
      {
        'idempotency-key': k,
      },
    );
    expect(other.status).toBe(409);
  });

  it("refuses a bad wait query with a precise 400, with the body's issues, storing nothing", async () => {
    const commits = tp.state.commits;
    const cases: [string, string[]][] = [
      ['?wait=mined', ['wait']],
      ['?wait=', ['wait']],
      ['?wait=confirmed&timeoutMs=30001', ['timeoutMs']],
      ['?wait=confirmed&timeoutMs=0', ['timeoutMs']],
      ['?wait=confirmed&timeoutMs=1.5', ['timeoutMs']],
      ['?timeoutMs=100', ['timeoutMs']],
      ['?wait=confirmed&wait=submitted', ['wait']],
      ['?wiat=confirmed', ['wiat']],
    ];
    for (const [query, paths] of cases) {
      const res = await tp.call(
        'POST',
        `/v1/transfers${query}`,
        { token: 'USDC', to: ALICE, amount: '1' },
        {
          'idempotency-key': key(),
        },
      );
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('ERR_RELAYER_INVALID');
      expect(res.body.error.issues.map((issue: { path: string }) => issue.path)).toEqual(paths);
    }
    const mined = await tp.call(
      'POST',
      '/v1/transfers?wait=mined',
      { token: 'USDC', to: ALICE, amount: '1' },
      {
        'idempotency-key': key(),
      },
    );
    expect(mined.body.error.issues).toEqual([
      { path: 'wait', message: 'expected submitted or confirmed, got "mined"' },
    ]);
    const both = await tp.call('POST', '/send-ft?wait=final', { receiverId: ALICE, amount: '0' });
    expect(both.status).toBe(400);
    expect(both.body.error.issues.map((issue: { path: string }) => issue.path).sort()).toEqual([
      'amount',
      'wait',
    ]);
    expect(tp.state.commits).toBe(commits);
  });

  it('GET /transfer/tx/{txHash}: 400 for a malformed hash, 404 ERR_RELAYER_NOT_FOUND for an unknown one', async () => {
    const malformed = await tp.call('GET', '/transfer/tx/not-a-hash');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('ERR_RELAYER_INVALID');
    expect(malformed.body.error.issues[0].path).toBe('txHash');
    const unknown = await tp.call('GET', `/transfer/tx/0x${'ab'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('ERR_RELAYER_NOT_FOUND');
    const wrong = await tp.call('POST', `/transfer/tx/0x${'ab'.repeat(32)}`, {});
    expect(wrong.status).toBe(405);
  });

  it('answers 503 ERR_RELAYER_UNAVAILABLE to every request of a failed commit, and recovers', async () => {
    tp.state.fail = true;
    try {
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, i) => post(tp, { token: 'USDC', to: ALICE, amount: String(500 + i) })),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect(answer.body.error.code).toBe('ERR_RELAYER_UNAVAILABLE');
      }
    } finally {
      tp.state.fail = false;
    }
    const k = key();
    expect((await post(tp, { token: 'USDC', to: ALICE, amount: '600' }, k)).status).toBe(202);
  });

  it('stores a burst of 2,000 concurrent POSTs in far fewer commits, all readable afterwards', async () => {
    const pool = new Pool(tp.baseUrl, { connections: 256 });
    try {
      const before = tp.state.commits;
      const answers = await Promise.all(
        Array.from({ length: 2_000 }, async (_, i) => {
          const res = await pool.request({
            path: '/v1/transfers',
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': `burst-${i}-${key()}` },
            body: JSON.stringify({ token: 'USDC', to: BOB, amount: String(i + 1) }),
          });
          return { status: res.statusCode, body: (await res.body.json()) as { id: string } };
        }),
      );
      const commits = tp.state.commits - before;
      expect(answers.every((answer) => answer.status === 202)).toBe(true);
      // One commit per request would be 2,000; a commit carries what queued during the last one.
      expect(commits).toBeLessThan(200);
      const ids = answers.map((answer) => answer.body.id);
      expect(new Set(ids).size).toBe(2_000);
      const records = await Promise.all(ids.map((id) => tp.store.getTransfer(id)));
      records.forEach((record, i) => {
        expect(record?.amount).toBe(BigInt(i + 1));
      });
    } finally {
      await pool.close();
    }
  });
});

describe('relayer API list pages', () => {
  let tp: Started;
  beforeAll(async () => {
    tp = await start();
  });
  afterAll(async () => {
    await tp.close();
  });

  it('ends with nextBefore null when the list is an exact multiple of the page size', async () => {
    const res = await post(tp, {
      transfers: Array.from({ length: 4 }, (_, i) => ({ token: 'USDC', to: BOB, amount: String(1 + i) })),
    });
    expect(res.status).toBe(202);
    const first = await tp.call('GET', '/v1/transfers?limit=2');
    expect(first.body.transfers.map((t: { id: string }) => t.id)).toEqual([res.body.ids[3], res.body.ids[2]]);
    expect(first.body.nextBefore).toBe(res.body.ids[2]);
    const last = await tp.call('GET', `/v1/transfers?limit=2&before=${first.body.nextBefore}`);
    expect(last.body.transfers.map((t: { id: string }) => t.id)).toEqual([res.body.ids[1], res.body.ids[0]]);
    expect(last.body.nextBefore).toBeNull();
    // The whole list in one full page is the last page too.
    const whole = await tp.call('GET', '/v1/transfers?limit=4');
    expect(whole.body.transfers).toHaveLength(4);
    expect(whole.body.nextBefore).toBeNull();
  });
});

describe('relayer API GET /health and the bound on waiting requests', () => {
  let tp: Started;
  beforeAll(async () => {
    // A network named "health" as a user may have configured it: its POSTs stay its own.
    tp = await start(
      { wait: { maxWaiters: 1, defaultTimeoutMs: 30_000 } },
      {
        networks: {
          anvil: { upstreams: [{ id: 'anvil-0', url: anvil.url }] },
          health: { upstreams: [{ id: 'anvil-1', url: anvil.url }] },
        },
      },
    );
  });
  afterAll(async () => {
    await tp.close();
  });

  async function waiting(count: number): Promise<void> {
    // Polls until the condition holds; the test's own timeout bounds it.
    for (;;) {
      const health = await tp.call('GET', '/health');
      if (health.body.relayer.waiting === count) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('GET /health answers 200 with the relayer state; POST /health still reaches the network', async () => {
    const health = await tp.call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'ok',
      timestamp: expect.any(String),
      relayer: {
        network: 'anvil',
        ready: true,
        engine: false,
        queue: { open: expect.any(Number), max: 200_000 },
        waiting: 0,
      },
    });
    const rpc = await tp.call('POST', '/health', {
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_chainId',
      params: [],
    });
    expect(rpc.status).toBe(200);
    expect(rpc.body).toEqual({ jsonrpc: '2.0', id: 1, result: '0x7a69' });
    expect((await tp.call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await tp.call('GET', '/readyz')).status).toBe(200);
  });

  it('refuses a wait beyond maxWaiters with 503 before storing; a client that leaves frees its slot', async () => {
    const abort = new AbortController();
    const held = fetch(`${tp.baseUrl}/v1/transfers?wait=confirmed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key() },
      body: JSON.stringify({ token: 'USDC', to: ALICE, amount: '41' }),
      signal: abort.signal,
    }).catch((err: unknown) => err);
    await waiting(1);
    const k = key();
    const refused = await tp.call(
      'POST',
      '/v1/transfers?wait=submitted',
      { token: 'USDC', to: BOB, amount: '42' },
      { 'idempotency-key': k },
    );
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('ERR_RELAYER_WAIT_CAPACITY');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Without wait nothing is held, so the bound does not apply.
    expect((await post(tp, { token: 'USDC', to: BOB, amount: '43' })).status).toBe(202);
    abort.abort();
    expect(await held).toBeInstanceOf(Error);
    await waiting(0);
    // The slot is free again, and the refused request was never stored: its key is unused.
    const retried = await tp.call(
      'POST',
      '/v1/transfers?wait=confirmed&timeoutMs=1',
      { token: 'USDC', to: BOB, amount: '42' },
      { 'idempotency-key': k },
    );
    expect(retried.status).toBe(202);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('ends waiting requests with 202 when the gateway closes, instead of holding the shutdown', async () => {
    const other = await start({ wait: { defaultTimeoutMs: 30_000 } });
    const held = other.call(
      'POST',
      '/v1/transfers?wait=confirmed',
      { token: 'USDC', to: ALICE, amount: '44' },
      { 'idempotency-key': key() },
    );
    for (;;) {
      if ((await other.call('GET', '/health')).body.relayer.waiting === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const closed = other.close();
    const answer = await held;
    expect(answer.status).toBe(202);
    expect(answer.body.status).toBe('accepted');
    await closed;
  });
});

describe('relayer API back-pressure', () => {
  let tp: Started;
  beforeAll(async () => {
    tp = await start({ maxQueueDepth: 4 });
  });
  afterAll(async () => {
    await tp.close();
  });

  it('answers 503 ERR_RELAYER_QUEUE_FULL with Retry-After past maxQueueDepth, storing nothing', async () => {
    const ok = await post(tp, {
      transfers: Array.from({ length: 3 }, () => ({ token: 'USDC', to: ALICE, amount: '1' })),
    });
    expect(ok.status).toBe(202);
    const full = await post(tp, {
      transfers: Array.from({ length: 2 }, () => ({ token: 'USDC', to: ALICE, amount: '1' })),
    });
    expect(full.status).toBe(503);
    expect(full.body.error.code).toBe('ERR_RELAYER_QUEUE_FULL');
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await tp.store.countOpen()).toBe(3);
    // One more still fits.
    expect((await post(tp, { token: 'USDC', to: ALICE, amount: '1' })).status).toBe(202);
    // A burst at the limit: none of it is stored.
    const burst = await Promise.all(
      Array.from({ length: 10 }, () => post(tp, { token: 'USDC', to: BOB, amount: '1' })),
    );
    expect(burst.every((answer) => answer.status === 503)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await post(tp, { token: 'USDC', to: BOB, amount: '1' })).status).toBe(503);
    expect(await tp.store.countOpen()).toBe(4);
  });
});

describe('relayer API with tenancy', () => {
  let tp: Started;
  const adminToken = randomBytes(16).toString('hex');
  beforeAll(async () => {
    tp = await start({}, { tenancy: { enabled: true, adminToken, usageFlushMs: 60_000 } });
  });
  afterAll(async () => {
    await tp.close();
  });

  async function projectKey(): Promise<{ projectId: string; secret: string }> {
    const admin = { authorization: `Bearer ${adminToken}` };
    const name = key();
    expect((await tp.call('POST', '/admin/v1/plans', { name }, admin)).status).toBe(201);
    const project = await tp.call('POST', '/admin/v1/projects', { name, plan: name }, admin);
    const issued = await tp.call('POST', '/admin/v1/keys', { project: name, name: 'main' }, admin);
    expect(issued.status).toBe(201);
    return { projectId: project.body.id, secret: issued.body.secret };
  }

  it('refuses requests without a key or with an unknown one (401)', async () => {
    const res = await post(tp, { token: 'USDC', to: ALICE, amount: '1' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('ERR_AUTH_MISSING_KEY');
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect((await tp.call('GET', '/v1/transfers')).status).toBe(401);
    expect((await tp.call('POST', '/send-ft', { receiverId: ALICE, amount: '1' })).status).toBe(401);
    const wrong = await tp.call('GET', '/v1/transfers', undefined, { 'x-api-key': 'tp_notakey' });
    expect(wrong.status).toBe(401);
  });

  it('serves its OpenAPI document without a key, like GET /health', async () => {
    const res = await tp.call('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.openapi).toBe('3.1.0');
    expect(res.body.info.title).toBe('Turnpike relayer API');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/v1/transfers', '/v1/transfers/{id}', '/send-ft', '/transfer/tx/{txHash}']),
    );
  });

  it('scopes transfers, jobs, lists and idempotency keys to the project', async () => {
    const a = await projectKey();
    const b = await projectKey();
    const k = key();
    const created = await post(tp, { token: 'USDC', to: ALICE, amount: '1' }, k);
    expect(created.status).toBe(401);
    const mine = await tp.call(
      'POST',
      '/v1/transfers',
      { token: 'USDC', to: ALICE, amount: '1' },
      { 'idempotency-key': k, 'x-api-key': a.secret },
    );
    expect(mine.status).toBe(202);
    // The same key in another project is another request.
    const theirs = await tp.call(
      'POST',
      '/v1/transfers',
      { token: 'USDC', to: BOB, amount: '2' },
      { 'idempotency-key': k, authorization: `Bearer ${b.secret}` },
    );
    expect(theirs.status).toBe(202);
    expect(
      (await tp.call('GET', `/v1/transfers/${mine.body.id}`, undefined, { 'x-api-key': a.secret })).status,
    ).toBe(200);
    const hidden = await tp.call('GET', `/v1/transfers/${mine.body.id}`, undefined, {
      'x-api-key': b.secret,
    });
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('ERR_RELAYER_NOT_FOUND');
    const job = await tp.call('GET', `/transfer/${mine.body.requestId}`, undefined, {
      'x-api-key': b.secret,
    });
    expect(job.status).toBe(404);
    const listA = await tp.call('GET', '/v1/transfers', undefined, { 'x-api-key': a.secret });
    expect(listA.body.transfers.map((t: { id: string }) => t.id)).toEqual([mine.body.id]);
  });

  it('meters accepted transfers as relayer_transfers on relayer.network', async () => {
    const a = await projectKey();
    const res = await tp.call(
      'POST',
      '/v1/transfers',
      {
        transfers: [
          { token: 'USDC', to: ALICE, amount: '1' },
          { token: 'USDC', to: BOB, amount: '2' },
          { token: 'DAI', to: BOB, amount: '3' },
        ],
      },
      { 'idempotency-key': key(), 'x-api-key': a.secret },
    );
    expect(res.status).toBe(202);
    const tenancy = tp.gateway.tenancy!;
    await tenancy.parts.meter!.flush();
    const rows = await tenancy.parts.store!.queryUsage({
      projectId: a.projectId,
      groupBy: ['network', 'method', 'outcome'],
    });
    expect(rows).toEqual([
      expect.objectContaining({ network: 'anvil', method: 'relayer_transfers', outcome: 'ok', requests: 3 }),
    ]);
    expect(rows[0]!.bytes).toBeGreaterThan(0);
  });
});
