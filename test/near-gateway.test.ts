/**
 * NEAR through the gateway, against three emulated NEAR RPC nodes (test/support/near-emulator):
 * NEAR methods proxied, chain id from `status` (a node on another chain is refused), lag
 * exclusion, failover when a node dies, a timed-out send_tx rebroadcast as the same bytes, and
 * caching by NEAR finality (final cached, optimistic never).
 */
import { KeyPair } from '@near-js/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { type NearEmulator, startNearEmulator } from './support/near-emulator/near-emulator.js';
import {
  ftTransfer,
  nearCall,
  nearResult,
  signedTransactionBase64,
  viewArgs,
  viewResult,
} from './support/near-emulator/near-test-client.js';
import { openSocket, request } from './support/ws-client.js';

const NEAR = 10n ** 24n;
let emulator: NearEmulator;
let gateway: Gateway;
let url: string;
const relayerKey = KeyPair.fromRandom('ed25519');
let nonce = 2_000_000n;

beforeAll(async () => {
  emulator = await startNearEmulator({
    nodes: 4,
    blockMs: 100,
    // Node 3 says it is on testnet: it must never serve this network.
    node: (index) => (index === 3 ? { chainId: 'testnet' } : {}),
  });
  const { state } = emulator.chain;
  state.addAccount('relayer.test', 100n * NEAR, [relayerKey.getPublicKey().toString()], 2);
  state.addAccount('alice.test', NEAR, [], 2);
  state.addToken('token.test', 'relayer.test', 1_000_000n).balances.set('alice.test', 0n);
  gateway = createGateway({
    logging: { level: 'silent' },
    networks: {
      near: {
        type: 'near',
        chainId: 'localnet',
        upstreams: emulator.nodes.map((node, index) => ({ id: `near-${index}`, url: node.url })),
        health: { probeIntervalMs: 200, maxBlockLag: 5 },
        failsafe: { attemptTimeoutMs: 2_000, retry: { maxAttempts: 4 } },
        cache: { headPollMs: 200, finalTtlMs: 60_000 },
      },
    },
  });
  url = `${(await gateway.listen(0, '127.0.0.1')).url}/near`;
});

afterAll(async () => {
  await gateway?.close(1_000);
  await emulator?.close();
});

function upstream(id: string) {
  return gateway.networks.get('near')!.upstreams.find((candidate) => candidate.id === id)!;
}

describe('NEAR through the gateway', () => {
  it('refuses the node on another chain, by the chain id of status', async () => {
    await expect.poll(() => upstream('near-3').exclusionReason).toBe('chain-id-mismatch');
    expect(upstream('near-0').chainId).toBe('localnet');
    const before = emulator.nodes[3]!.stats.byMethod.get('block') ?? 0;
    for (let i = 0; i < 20; i++) await nearResult(url, 'block', { finality: 'optimistic' });
    expect(emulator.nodes[3]!.stats.byMethod.get('block') ?? 0).toBe(before);
  });

  it('proxies status, block, chunk, query, gas_price and validators', async () => {
    const status = await nearResult<{ chain_id: string; sync_info: { latest_block_height: number } }>(
      url,
      'status',
      [],
    );
    expect(status.chain_id).toBe('localnet');
    const block = await nearResult<{
      header: { height: number; hash: string };
      chunks: Array<{ chunk_hash: string }>;
    }>(url, 'block', { finality: 'final' });
    expect(block.header.height).toBeGreaterThan(0);
    const chunk = await nearResult<{ header: { chunk_hash: string } }>(url, 'chunk', {
      chunk_id: block.chunks[0]!.chunk_hash,
    });
    expect(chunk.header.chunk_hash).toBe(block.chunks[0]!.chunk_hash);
    const account = await nearResult<{ amount: string }>(url, 'query', {
      request_type: 'view_account',
      finality: 'final',
      account_id: 'relayer.test',
    });
    expect(BigInt(account.amount)).toBeGreaterThan(0n);
    expect(await nearResult(url, 'gas_price', [null])).toEqual({ gas_price: '100000000' });
    expect(await nearResult(url, 'validators', [null])).toHaveProperty('current_validators');
    // A request error of NEAR's passes through as NEAR wrote it.
    const unknown = await nearCall(url, 'query', {
      request_type: 'view_account',
      finality: 'final',
      account_id: 'nobody.test',
    });
    expect(unknown.error?.cause?.name).toBe('UNKNOWN_ACCOUNT');
  });

  it('sends a signed transaction with send_tx and reads its status back', async () => {
    const block = await nearResult<{ header: { hash: string } }>(url, 'block', { finality: 'final' });
    nonce += 1n;
    const base64 = signedTransactionBase64({
      signerId: 'relayer.test',
      keyPair: relayerKey,
      nonce,
      receiverId: 'token.test',
      actions: [ftTransfer('alice.test', '40')],
      blockHash: block.header.hash,
    });
    const sent = await nearResult<{ final_execution_status: string; transaction: { hash: string } }>(
      url,
      'send_tx',
      { signed_tx_base64: base64, wait_until: 'FINAL' },
    );
    expect(sent.final_execution_status).toBe('FINAL');
    const status = await nearCall(url, 'tx', {
      tx_hash: sent.transaction.hash,
      sender_account_id: 'relayer.test',
      wait_until: 'FINAL',
    });
    expect(status.headers.get('x-cache')).toBe('MISS');
    const again = await nearCall(url, 'tx', {
      tx_hash: sent.transaction.hash,
      sender_account_id: 'relayer.test',
      wait_until: 'FINAL',
    });
    expect(again.headers.get('x-cache')).toBe('HIT');
    const balance = await nearResult(url, 'query', {
      request_type: 'call_function',
      finality: 'optimistic',
      account_id: 'token.test',
      method_name: 'ft_balance_of',
      args_base64: viewArgs({ account_id: 'alice.test' }),
    });
    expect(viewResult(balance)).toBe('40');
  });

  it('rebroadcasts the same bytes on another node when send_tx times out, and the transfer happens once', async () => {
    // Every healthy node times out once after taking the transaction; the next attempt's node
    // knows it (same bytes, same hash) and answers its outcome.
    for (const node of emulator.nodes.slice(0, 3))
      node.setFault({ kind: 'timeout-error', methods: ['send_tx'], times: 1 });
    const block = await nearResult<{ header: { hash: string } }>(url, 'block', { finality: 'final' });
    nonce += 1n;
    const base64 = signedTransactionBase64({
      signerId: 'relayer.test',
      keyPair: relayerKey,
      nonce,
      receiverId: 'token.test',
      actions: [ftTransfer('alice.test', '2')],
      blockHash: block.header.hash,
    });
    const sends = () =>
      emulator.nodes.reduce((sum, node) => sum + (node.stats.byMethod.get('send_tx') ?? 0), 0);
    const before = sends();
    const sent = await nearResult<{ status: unknown }>(url, 'send_tx', {
      signed_tx_base64: base64,
      wait_until: 'EXECUTED_OPTIMISTIC',
    });
    expect(sent.status).toEqual({ SuccessValue: '' });
    expect(sends() - before).toBeGreaterThanOrEqual(2);
    for (const node of emulator.nodes) node.setFault(null);
    const balance = await nearResult(url, 'query', {
      request_type: 'call_function',
      finality: 'optimistic',
      account_id: 'token.test',
      method_name: 'ft_balance_of',
      args_base64: viewArgs({ account_id: 'alice.test' }),
    });
    expect(viewResult(balance)).toBe('42');
  });

  it('recovers InvalidNonce for bytes the chain already applied, and passes it through otherwise', async () => {
    const block = await nearResult<{ header: { hash: string } }>(url, 'block', { finality: 'final' });
    nonce += 1n;
    const applied = signedTransactionBase64({
      signerId: 'relayer.test',
      keyPair: relayerKey,
      nonce,
      receiverId: 'token.test',
      actions: [ftTransfer('alice.test', '1')],
      blockHash: block.header.hash,
    });
    // An earlier attempt got through; these nodes answer a resend with InvalidNonce.
    const record = emulator.chain.submit(applied);
    for (const node of emulator.nodes) node.setFault({ kind: 'invalid-nonce' });
    try {
      const sent = await nearResult<{ transaction: { hash: string } }>(url, 'send_tx', {
        signed_tx_base64: applied,
        wait_until: 'EXECUTED_OPTIMISTIC',
      });
      expect(sent.transaction.hash).toBe(record.tx.hash);
      expect(await nearResult(url, 'broadcast_tx_async', [applied])).toBe(record.tx.hash);
      nonce += 1n;
      const unknown = signedTransactionBase64({
        signerId: 'relayer.test',
        keyPair: relayerKey,
        nonce,
        receiverId: 'token.test',
        actions: [ftTransfer('alice.test', '1')],
        blockHash: block.header.hash,
      });
      const refused = await nearCall(url, 'send_tx', { signed_tx_base64: unknown, wait_until: 'NONE' });
      expect(refused.error?.cause?.name).toBe('INVALID_TRANSACTION');
      expect(JSON.stringify(refused.error?.data)).toContain('InvalidNonce');
    } finally {
      for (const node of emulator.nodes) node.setFault(null);
    }
  });

  it('caches answers at a block hash, a final height and finality final; never optimistic', async () => {
    const head = await nearResult<{ header: { hash: string; height: number } }>(url, 'block', {
      finality: 'optimistic',
    });
    const cacheOf = async (method: string, params: unknown) =>
      (await nearCall(url, method, params)).headers.get('x-cache');
    expect(await cacheOf('block', { finality: 'optimistic' })).not.toBe('HIT');
    expect(await cacheOf('block', { finality: 'optimistic' })).not.toBe('HIT');
    expect(await cacheOf('block', { block_id: head.header.hash })).toBe('MISS');
    expect(await cacheOf('block', { block_id: head.header.hash })).toBe('HIT');
    const finalParams = { request_type: 'view_account', finality: 'final', account_id: 'alice.test' };
    await cacheOf('query', finalParams);
    expect(await cacheOf('query', finalParams)).toBe('HIT');
    expect(await cacheOf('query', { ...finalParams, finality: 'optimistic' })).not.toBe('HIT');
    expect(await cacheOf('query', { ...finalParams, finality: 'optimistic' })).not.toBe('HIT');
    // A height is cached once the network made it final, not before.
    const network = gateway.networks.get('near')!;
    await expect.poll(() => network.nearFinal!.finalHeight).toBeGreaterThan(0);
    const final = network.nearFinal!.finalHeight;
    expect(await cacheOf('block', { block_id: final })).toBe('MISS');
    expect(await cacheOf('block', { block_id: final })).toBe('HIT');
    const tip = emulator.chain.head.height;
    expect(await cacheOf('block', { block_id: tip })).not.toBe('HIT');
    if (network.nearFinal!.finalHeight < tip)
      expect(await cacheOf('block', { block_id: tip })).not.toBe('HIT');
  });

  it('excludes a node that lags, and takes it back once it caught up', async () => {
    const lagging = emulator.nodes[2]!;
    lagging.lagBlocks = 30;
    await expect.poll(() => upstream('near-2').exclusionReason, { timeout: 10_000 }).toBe('lagging');
    lagging.lagBlocks = 0;
    await expect.poll(() => upstream('near-2').exclusionReason, { timeout: 10_000 }).toBeUndefined();
  });

  it('serves NEAR methods over WebSocket and refuses eth_subscribe there', async () => {
    const ws = await openSocket(`${url.replace('http', 'ws')}`);
    try {
      const status = JSON.parse(await request(ws, '{"jsonrpc":"2.0","id":1,"method":"status","params":[]}'));
      expect(status.result.chain_id).toBe('localnet');
      const refused = JSON.parse(
        await request(ws, '{"jsonrpc":"2.0","id":2,"method":"eth_subscribe","params":["newHeads"]}'),
      );
      expect(refused.error.data.code).toBe('ERR_METHOD_NOT_SUPPORTED');
    } finally {
      ws.close();
    }
  });

  it('fails over when a node dies', async () => {
    const killed = emulator.nodes[0]!;
    await killed.kill();
    try {
      for (let i = 0; i < 30; i++) {
        const answer = await nearCall(url, 'block', { finality: 'optimistic' });
        expect(answer.error).toBeUndefined();
        expect(answer.headers.get('x-turnpike-upstream')).not.toBe('near-0');
      }
    } finally {
      await killed.revive();
    }
  });
});
