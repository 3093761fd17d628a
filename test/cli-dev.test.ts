/**
 * `turnpike dev` through the real binary: it starts its own anvil node, serves it at /local, and on
 * SIGTERM or Ctrl-C exits 0 leaving no anvil and no worker process behind. Its relayer moves DEMO
 * tokens with the printed API key, as the README shows.
 */
import { Client } from 'undici';
import { decodeFunctionResult, encodeFunctionData, type Hex } from 'viem';
import { afterEach, describe, expect, it } from 'vitest';
import { erc20Abi } from '../src/relayer/chains/evm/abi.js';
import {
  childPids,
  commandLine,
  isAlive,
  killAllCli,
  portIsOpen,
  runCli,
  servingPid,
  startCli,
} from './support/cli.js';
import { getFreePort } from './support/free-port.js';
import { rpc } from './support/rpc.js';

afterEach(killAllCli);

// SIGTERM from a supervisor to the CLI alone; Ctrl-C as a terminal sends it: SIGINT to the whole
// process group (the CLI runs detached, as its own group leader), workers and anvil included.
describe.each([
  [1, 'SIGTERM'],
  [2, 'SIGTERM'],
  [2, 'Ctrl-C'],
] as const)('turnpike dev --workers %i', (workers, stopWith) => {
  it(`serves a local anvil at /local and stops everything on ${stopWith}`, async () => {
    const port = await getFreePort();
    const cli = startCli(['dev', '--port', String(port), '--workers', String(workers)]);
    const url = `http://127.0.0.1:${port}/local`;
    expect(await cli.waitForLine(/^ready /)).toBe(`ready ${url}`);

    const chainId = await rpc(url, 'eth_chainId');
    expect(chainId.status).toBe(200);
    expect(chainId.body).toEqual({ jsonrpc: '2.0', id: 1, result: '0x7a69' });
    const blockNumber = await rpc(url, 'eth_blockNumber', [], { id: 'b' });
    expect(blockNumber.status).toBe(200);
    expect(blockNumber.body).toMatchObject({
      jsonrpc: '2.0',
      id: 'b',
      result: expect.stringMatching(/^0x[0-9a-f]+$/),
    });

    // The processes dev started: one anvil, one cluster worker per HTTP worker, and one more for
    // the relayer engine (dev enables the relayer; relayer.engineProcess defaults to own).
    const children = childPids(cli.pid);
    const anvils = children.filter((pid) => commandLine(pid).some((arg) => arg.endsWith('anvil')));
    const workerPids = children.filter((pid) =>
      commandLine(pid).some((arg) => arg.endsWith('cluster-worker.js')),
    );
    expect(anvils).toHaveLength(1);
    expect(workerPids).toHaveLength(workers + 1);
    const anvilPid = anvils[0]!;
    const anvilArgs = commandLine(anvilPid);
    const anvilPort = Number(anvilArgs[anvilArgs.indexOf('--port') + 1]);
    expect(await portIsOpen(anvilPort)).toBe(true);
    // Responses really come from the worker processes, not from the primary.
    expect(workerPids).toContain(servingPid(blockNumber.headers['x-request-id']));

    if (stopWith === 'SIGTERM') cli.child.kill('SIGTERM');
    else process.kill(-cli.pid, 'SIGINT');
    const exit = await cli.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(cli.stdout().split('\n')[0]).toBe(`ready ${url}`);
    expect(cli.stdout()).toMatch(/^api key tp_[0-9A-Za-z]{32} /m);
    expect(isAlive(anvilPid)).toBe(false);
    for (const pid of workerPids) expect(isAlive(pid), `worker ${pid} still running`).toBe(false);
    expect(await portIsOpen(anvilPort)).toBe(false);
    expect(await portIsOpen(port)).toBe(false);
  });
});

describe('turnpike dev', () => {
  it('prints an API key that is metered and an admin token that reads its usage', async () => {
    const cli = startCli(['dev', '--port', '0', '--workers', '2']);
    const base = new URL((await cli.waitForLine(/^ready /)).slice('ready '.length)).origin;
    const key = /^api key (\S+)/.exec(await cli.waitForLine(/^api key /))![1]!;
    const token = /^admin token (\S+)/.exec(await cli.waitForLine(/^admin token /))![1]!;
    expect((await rpc(`${base}/local/${key}`, 'eth_chainId')).status).toBe(200);
    expect((await rpc(`${base}/local/tp_unknownunknownunknownunknown0000`, 'eth_chainId')).status).toBe(401);
    await expect
      .poll(
        async () => {
          const res = await fetch(`${base}/admin/v1/usage?groupBy=method`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const { rows } = (await res.json()) as { rows: { method: string; requests: number }[] };
          return rows.find((row) => row.method === 'eth_chainId')?.requests;
        },
        { timeout: 10_000 },
      )
      .toBe(1);
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  });

  it('relays a DEMO transfer made with the printed key: confirmed, and the balance on chain', async () => {
    const cli = startCli(['dev', '--port', '0', '--workers', '2']);
    const rpcUrl = (await cli.waitForLine(/^ready /)).slice('ready '.length);
    const base = new URL(rpcUrl).origin;
    const key = /^api key (\S+)/.exec(await cli.waitForLine(/^api key /))![1]!;
    const line = await cli.waitForLine(/^relayer /);
    const [, postUrl, token, batchContract] =
      /^relayer POST (\S+) {2}\(token DEMO (0x[0-9a-f]{40}), batch contract (0x[0-9a-f]{40})\)$/.exec(line)!;
    expect(postUrl).toBe(`${base}/v1/transfers`);
    expect(batchContract).not.toBe(token);
    // No signing key is ever printed.
    expect(cli.stdout() + cli.stderr()).not.toMatch(/0x[0-9a-f]{64}/i);

    const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
    const amount = 2_500_000_000_000_000_000n;
    const headers = { 'content-type': 'application/json', 'x-api-key': key, 'idempotency-key': 'cli-dev-1' };
    const body = JSON.stringify({ token: 'DEMO', to, amount: amount.toString() });
    // The relayer routes need the key even though the RPC network is keyless.
    expect(
      (await fetch(postUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body }))
        .status,
    ).toBe(401);
    const posted = await fetch(postUrl!, { method: 'POST', headers, body });
    expect(posted.status).toBe(202);
    const { id } = (await posted.json()) as { id: string };

    let transfer: { status: string; txHash: string | null; blockNumber: number | null } | undefined;
    await expect
      .poll(
        async () => {
          const res = await fetch(`${base}/v1/transfers/${id}`, { headers: { 'x-api-key': key } });
          transfer = (await res.json()) as typeof transfer;
          return transfer?.status;
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe('confirmed');
    expect(transfer).toMatchObject({
      txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      blockNumber: expect.any(Number),
    });

    const data = encodeFunctionData({ abi: erc20Abi, functionName: 'balanceOf', args: [to as Hex] });
    const call = await rpc(rpcUrl, 'eth_call', [{ to: token, data }, 'latest']);
    const result = (call.body as { result: Hex }).result;
    expect(decodeFunctionResult({ abi: erc20Abi, functionName: 'balanceOf', data: result })).toBe(amount);

    // Both workers read the same store: the queue gauge is merged by max, not summed; the
    // confirmed counter is the one worker's that confirmed it.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^turnpike_relayer_transfers\{state="accepted"\} 0$/m);
    expect(metrics).toMatch(/^turnpike_relayer_confirmed_transfers_total 1$/m);
    // The engine that confirmed it is the worker of its own, which serves no HTTP.
    expect(metrics).toMatch(/^turnpike_event_loop_utilization\{worker="relayer"\} [0-9.e-]+$/m);

    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  });

  it('fails with exit 1 when its port is taken', async () => {
    const first = startCli(['dev', '--port', '0', '--workers', '1']);
    const line = await first.waitForLine(/^ready /);
    const port = Number(new URL(line.slice('ready '.length)).port);

    const second = startCli(['dev', '--port', String(port), '--workers', '1']);
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    expect(second.stderr()).toContain('EADDRINUSE');
    expect(second.stdout()).not.toContain('ready');

    // The first one is unaffected.
    expect((await rpc(line.slice('ready '.length), 'eth_chainId')).body).toMatchObject({ result: '0x7a69' });
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
  });

  it('answers a repeated read of an old block from the cache: anvil blocks become final by depth', async () => {
    const cli = startCli(['dev', '--port', '0', '--workers', '1']);
    const rpcUrl = (await cli.waitForLine(/^ready /)).slice('ready '.length);
    const base = new URL(rpcUrl).origin;
    // One kept-alive connection: the same worker answers both reads (each worker has its own cache).
    const client = new Client(base);
    try {
      const first = await rpc(rpcUrl, 'eth_getBlockByNumber', ['0x1', false], { dispatcher: client });
      const second = await rpc(rpcUrl, 'eth_getBlockByNumber', ['0x1', false], { dispatcher: client, id: 2 });
      expect(second.body).toEqual({ ...(first.body as object), id: 2 });
      expect([first.headers['x-cache'], second.headers['x-cache']]).toEqual(['MISS', 'HIT']);
    } finally {
      await client.close();
    }
    // Final, so cached until evicted, not for the 5 s given to blocks that are not final yet:
    // with anvil's `finalized` tag (the genesis block) this stayed 0 and every later read missed.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const finalized = /^turnpike_chain_finalized_block\{network="local"\} (\d+)$/m.exec(metrics);
    expect(Number(finalized?.[1])).toBeGreaterThanOrEqual(1);
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  });

  it('uses TURNPIKE_ADMIN_TOKEN as the admin token, and does not print it', async () => {
    const token = 'dev-admin-token-from-the-environment';
    const cli = startCli(['dev', '--port', '0', '--workers', '1'], { TURNPIKE_ADMIN_TOKEN: token });
    const base = new URL((await cli.waitForLine(/^ready /)).slice('ready '.length)).origin;
    expect(await cli.waitForLine(/^admin token /)).toMatch(/^admin token from TURNPIKE_ADMIN_TOKEN /);
    const usage = (authorization: string) =>
      fetch(`${base}/admin/v1/usage`, { headers: { authorization } }).then((res) => res.status);
    expect(await usage(`Bearer ${token}`)).toBe(200);
    expect(await usage('Bearer some-other-token-0123456789')).toBe(401);
    expect(cli.stdout() + cli.stderr()).not.toContain(token);
    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  });

  it.each([['--help'], ['help'], ['-h']])(
    'prints its usage for `turnpike dev %s` and exits 0',
    async (flag) => {
      const { code, stdout, stderr } = await runCli(['dev', flag]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: turnpike dev /);
      expect(stdout).toContain('--port');
      expect(stdout).toContain('TURNPIKE_ADMIN_TOKEN');
    },
  );
});
