/**
 * The relayer in child processes: `node bin/turnpike.js start --workers 1` on a relayer
 * fixture's chain and database (startRelayerFixture with `gateway: false`), killed with SIGKILL
 * and started again on the same config and port; a client that retries a request with the same
 * Idempotency-Key until it is stored; and the on-chain / database checks of exactly-once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAccount } from 'viem/accounts';
import type { TurnpikeConfigInput } from '../../src/config/schema.js';
import { type CliProcess, childPids, startCli } from './cli.js';
import { getFreePort } from './free-port.js';
import { type RelayerFixture, rpc } from './relayer-fixture.js';

type RelayerInput = NonNullable<TurnpikeConfigInput['relayer']>;

/** One gateway (`--workers 1`: a primary, its HTTP worker and its relayer engine worker) that can be killed and started again on the same port. */
export class RelayerChild {
  private cli: CliProcess | undefined;
  /** Stdout (pino JSON lines) of every run so far, oldest first. */
  private readonly finished: string[] = [];
  /** Pid of every run (one per start). */
  readonly pids: number[] = [];
  /**
   * Every process of every run (the CLI and its cluster workers: the relayer engine runs in a
   * worker of its own), to map `relayer_keys.owner` (`host:pid:random`) back to this child.
   */
  readonly ownerPids: number[] = [];
  readonly url: string;

  private constructor(
    readonly name: string,
    private readonly configPath: string,
    private readonly env: NodeJS.ProcessEnv,
    port: number,
    private readonly dir: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Writes the fixture's config (with `relayer` overrides) for a child on a free port. */
  static async create(
    name: string,
    fixture: RelayerFixture,
    relayer: Partial<RelayerInput> = {},
  ): Promise<RelayerChild> {
    const port = await getFreePort();
    const dir = mkdtempSync(join(tmpdir(), `turnpike-${name}-`));
    const config: TurnpikeConfigInput = {
      ...fixture.config,
      // info: the "relayer key leased" lines say which process held which key.
      logging: { level: 'info' },
      server: { host: '127.0.0.1', port, workers: 1 },
      relayer: { ...fixture.config.relayer, ...relayer },
    };
    const configPath = join(dir, 'turnpike.json');
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const env = { [fixture.keysEnv]: fixture.keys.join(',') };
    return new RelayerChild(name, configPath, env, port, dir);
  }

  get running(): boolean {
    return this.cli !== undefined;
  }

  get pid(): number | undefined {
    return this.cli?.pid;
  }

  async start(): Promise<void> {
    if (this.cli !== undefined) throw new Error(`${this.name} is already running`);
    const cli = startCli(['start', '--config', this.configPath, '--workers', '1'], this.env);
    this.cli = cli;
    this.pids.push(cli.pid);
    try {
      await cli.waitForLine(/^ready /);
      this.ownerPids.push(cli.pid, ...childPids(cli.pid));
    } catch (err) {
      this.cli = undefined;
      this.finished.push(cli.stdout());
      throw err;
    }
  }

  /** SIGKILL (the whole process group), and wait until it is gone. */
  async kill(): Promise<void> {
    const cli = this.cli;
    if (cli === undefined) return;
    this.cli = undefined;
    try {
      // SIGKILL ends a stopped process too.
      process.kill(-cli.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    const { signal, code } = await cli.exited;
    this.finished.push(cli.stdout());
    if (signal !== 'SIGKILL')
      throw new Error(`${this.name} had exited by itself (code ${code})\nstderr: ${cli.stderr()}`);
  }

  /** SIGSTOP: the process keeps its memory (and thinks it holds its leases) but runs nothing. */
  pause(): void {
    if (this.cli !== undefined) process.kill(-this.cli.pid, 'SIGSTOP');
  }

  resume(): void {
    if (this.cli !== undefined) process.kill(-this.cli.pid, 'SIGCONT');
  }

  /** Every JSON log line of every run. */
  logLines(): Record<string, unknown>[] {
    const text = [...this.finished, this.cli?.stdout() ?? ''].join('\n');
    const lines: Record<string, unknown>[] = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line cut by SIGKILL
      }
    }
    return lines;
  }

  /** Warnings and errors logged, counted by message (for failure messages). */
  warnings(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const line of this.logLines())
      if (typeof line.level === 'number' && line.level >= 40) {
        const err = (line.err as { message?: string } | undefined)?.message;
        const text = `${String(line.msg)}${err === undefined ? '' : `: ${err.slice(0, 200)}`}`;
        counts[text] = (counts[text] ?? 0) + 1;
      }
    return counts;
  }

  /** Keys this child logged taking a lease of, over all its runs. */
  leasedKeys(): Set<string> {
    const keys = new Set<string>();
    for (const line of this.logLines())
      if (line.msg === 'relayer key leased' && typeof line.key === 'string') keys.add(line.key.toLowerCase());
    return keys;
  }

  stderr(): string {
    return this.cli?.stderr() ?? '';
  }

  async metrics(): Promise<string> {
    const response = await fetch(`${this.url}/metrics`, { signal: AbortSignal.timeout(1_000) });
    return response.text();
  }

  /** Kills the child if running and removes its config dir. */
  async dispose(): Promise<void> {
    await this.kill().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface TransferRequest {
  readonly key: string;
  readonly transfers: readonly { token: string; to: string; amount: string }[];
}

export interface StoredRequest {
  readonly status: 200 | 202;
  readonly ids: readonly string[];
  /** Tries it took (connection errors and 503s while a child was down or starting). */
  readonly tries: number;
}

/**
 * POSTs until the request is stored: 202 (created) or 200 (a replay of an earlier try whose
 * answer was lost). Connection errors and 503 are retried with the same Idempotency-Key, on the
 * next of `urls` in turn; anything else is an error.
 */
export async function postUntilStored(
  urls: readonly string[],
  request: TransferRequest,
  deadline: number,
): Promise<StoredRequest> {
  for (let tries = 1; ; tries++) {
    const url = urls[(tries - 1) % urls.length] as string;
    try {
      const response = await fetch(`${url}/v1/transfers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': request.key },
        body: JSON.stringify({ transfers: request.transfers }),
        signal: AbortSignal.timeout(5_000),
      });
      const text = await response.text();
      if (response.status === 200 || response.status === 202) {
        const body = JSON.parse(text) as { ids: string[] };
        return { status: response.status, ids: body.ids, tries };
      }
      if (response.status !== 503) throw new Error(`POST ${request.key}: ${response.status} ${text}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('POST ')) throw err;
      // The child is dead, paused or restarting: connection refused or reset, or a timeout.
    }
    if (Date.now() > deadline) throw new Error(`POST ${request.key}: not stored after ${tries} tries`);
    await sleep(150);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** mulberry32: a seeded PRNG, so a failing run's kill schedule can be replayed (TEST_SEED). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function signerAddresses(fixture: RelayerFixture): string[] {
  return fixture.keys.map((key) => privateKeyToAccount(key).address.toLowerCase());
}

/** Transactions each signer has had mined (its `latest` nonce). */
export async function chainNonces(fixture: RelayerFixture): Promise<Map<string, number>> {
  const signers = signerAddresses(fixture);
  const counts = await Promise.all(
    signers.map(async (address) =>
      Number(await rpc(fixture.anvil.url, 'eth_getTransactionCount', [address, 'latest'])),
    ),
  );
  return new Map(signers.map((address, index) => [address, counts[index] as number]));
}

export interface ExactlyOnceReport {
  /** Recipients whose balance differs from the sum requested for them. */
  readonly wrongBalances: readonly { to: string; expected: bigint; actual: bigint }[];
  /** What the signers paid out in total, against what was requested in total. */
  readonly spent: bigint;
  readonly requested: bigint;
  /** Batches with more than one confirmed attempt (sent twice). */
  readonly batchesConfirmedTwice: readonly string[];
  /** (key, nonce) pairs with more than one confirmed attempt. */
  readonly noncesConfirmedTwice: readonly string[];
  /**
   * Per key: confirmed attempt nonces that are not exactly the run from the key's nonce before the
   * relayer ran to its chain nonce - 1 (a gap: a nonce used by something unrecorded, or dropped).
   */
  readonly nonceHoles: readonly string[];
  /** Confirmed attempts per key, as the database tells it. */
  readonly confirmedPerKey: ReadonlyMap<string, number>;
}

/**
 * Balances and spend on chain against what was requested; the attempts table against the chain.
 * `expected` maps each recipient to the sum requested for it.
 */
export async function checkExactlyOnce(
  fixture: RelayerFixture,
  expected: ReadonlyMap<string, bigint>,
  mintPerSigner: bigint,
  /** Each signer's chain nonce before the relayer ran (its setup transactions). */
  startNonces: ReadonlyMap<string, number>,
): Promise<ExactlyOnceReport> {
  const recipients = [...expected.keys()];
  const balances: bigint[] = [];
  for (let i = 0; i < recipients.length; i += 100)
    balances.push(...(await Promise.all(recipients.slice(i, i + 100).map((to) => fixture.balanceOf(to)))));
  const wrongBalances = recipients.flatMap((to, index) => {
    const actual = balances[index] as bigint;
    const want = expected.get(to) as bigint;
    return actual === want ? [] : [{ to, expected: want, actual }];
  });
  const signers = signerAddresses(fixture);
  const signerBalances = await Promise.all(signers.map((address) => fixture.balanceOf(address)));
  const spent = signerBalances.reduce((sum, balance) => sum + (mintPerSigner - balance), 0n);
  const requested = [...expected.values()].reduce((sum, amount) => sum + amount, 0n);

  const rows = await fixture.database.store.db
    .selectFrom('relayer_attempts')
    .select(['key_address', 'nonce', 'batch_id', 'kind', 'state'])
    .where('state', '=', 'confirmed')
    .execute();
  const byBatch = new Map<string, number>();
  const byNonce = new Map<string, number>();
  const noncesPerKey = new Map<string, number[]>();
  for (const row of rows) {
    const key = row.key_address.toLowerCase();
    if (row.kind === 'batch' && row.batch_id !== null)
      byBatch.set(row.batch_id, (byBatch.get(row.batch_id) ?? 0) + 1);
    const pair = `${key}@${row.nonce}`;
    byNonce.set(pair, (byNonce.get(pair) ?? 0) + 1);
    const list = noncesPerKey.get(key) ?? [];
    list.push(Number(row.nonce));
    noncesPerKey.set(key, list);
  }
  const onChain = await chainNonces(fixture);
  const nonceHoles: string[] = [];
  for (const [key, nonces] of noncesPerKey) {
    nonces.sort((a, b) => a - b);
    const chain = onChain.get(key);
    const first = nonces[0] as number;
    const contiguous = nonces.every((nonce, index) => nonce === first + index);
    if (
      !contiguous ||
      first !== startNonces.get(key) ||
      chain === undefined ||
      nonces[nonces.length - 1] !== chain - 1
    )
      nonceHoles.push(
        `${key}: confirmed ${first}..${nonces[nonces.length - 1]} (${nonces.length}), chain nonce ${chain}`,
      );
  }
  return {
    wrongBalances,
    spent,
    requested,
    batchesConfirmedTwice: [...byBatch].filter(([, count]) => count > 1).map(([batch]) => batch),
    noncesConfirmedTwice: [...byNonce].filter(([, count]) => count > 1).map(([pair]) => pair),
    nonceHoles,
    confirmedPerKey: new Map([...noncesPerKey].map(([key, nonces]) => [key, nonces.length])),
  };
}

/** Sum of a metric's samples (every label set) in a Prometheus text exposition; 0 when absent. */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The `key` labels of `turnpike_relayer_key_inflight`: the keys this process runs a worker for. */
export function inflightKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const match of text.matchAll(/^turnpike_relayer_key_inflight\{[^}]*key="(0x[0-9a-fA-F]{40})"/gm))
    keys.add((match[1] as string).toLowerCase());
  return keys;
}

/** Pairs (key, nonce) whose attempts carry more than one batch (a nonce reused for other work). */
export async function noncesWithTwoBatches(fixture: RelayerFixture): Promise<string[]> {
  const rows = await fixture.database.store.db
    .selectFrom('relayer_attempts')
    .select(['key_address', 'nonce', 'batch_id'])
    .where('kind', '=', 'batch')
    .execute();
  const batches = new Map<string, Set<string | null>>();
  for (const row of rows) {
    const pair = `${row.key_address.toLowerCase()}@${row.nonce}`;
    const set = batches.get(pair) ?? new Set();
    set.add(row.batch_id);
    batches.set(pair, set);
  }
  return [...batches].filter(([, set]) => set.size > 1).map(([pair]) => pair);
}
