/**
 * viem clients against the gateway in front of anvil: reads over plain and batch HTTP
 * transports, locally signed transfers over both, and eth_sendRawTransaction resend semantics.
 */
import {
  createPublicClient,
  createWalletClient,
  http,
  keccak256,
  type PublicClient,
  parseEther,
  parseGwei,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { anvil as anvilChain } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayFixture, startGatewayFixture } from './support/gateway-fixture.js';
import { rpc } from './support/rpc.js';

// Anvil's well-known dev keys (accounts #0 and #1 of the default mnemonic).
const KEY_0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const KEY_1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
// Account #6: spent only by the batch transfer, so its nonces never race another test's.
const KEY_6 = '0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e';
// Accounts #2–#5: never spend in this file, so they keep their initial balance.
const UNTOUCHED = [
  '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
  '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
  '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc',
] as const;
const INITIAL_BALANCE = parseEther('10000');

let fx: GatewayFixture;
let client: PublicClient;

beforeAll(async () => {
  fx = await startGatewayFixture();
  client = createPublicClient({ chain: anvilChain, transport: http(fx.url) });
});

afterAll(async () => {
  await fx?.close();
});

describe('viem over the gateway', () => {
  it('reads chain id, block number and balance', async () => {
    expect(await client.getChainId()).toBe(31337);
    const direct = createPublicClient({ chain: anvilChain, transport: http(fx.anvils[0]!.url) });
    expect(await client.getBlockNumber({ cacheTime: 0 })).toBe(await direct.getBlockNumber({ cacheTime: 0 }));
    expect(await client.getBalance({ address: UNTOUCHED[0] })).toBe(INITIAL_BALANCE);
  });

  it('sends a locally signed transfer and waits for a successful receipt', async () => {
    const account = privateKeyToAccount(KEY_0);
    const wallet = createWalletClient({ account, chain: anvilChain, transport: http(fx.url) });
    const recipient = '0x000000000000000000000000000000000000bEEF';
    const before = await client.getBalance({ address: recipient });
    const hash = await wallet.sendTransaction({ to: recipient, value: parseEther('1.5') });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    expect(receipt.status).toBe('success');
    expect(receipt.from.toLowerCase()).toBe(account.address.toLowerCase());
    expect(await client.getBalance({ address: recipient })).toBe(before + parseEther('1.5'));
  });

  it('answers parallel reads over the batch transport with the right values', async () => {
    const bodies: string[] = [];
    const batched = createPublicClient({
      chain: anvilChain,
      transport: http(fx.url, {
        batch: true,
        onFetchRequest: (_request, init) => {
          bodies.push(String(init.body));
        },
      }),
    });
    const [chainId, blockNumber, ...balances] = await Promise.all([
      batched.getChainId(),
      batched.getBlockNumber({ cacheTime: 0 }),
      ...UNTOUCHED.map((address) => batched.getBalance({ address })),
    ]);
    expect(chainId).toBe(31337);
    expect(blockNumber).toBe(await client.getBlockNumber({ cacheTime: 0 }));
    expect(balances).toEqual(UNTOUCHED.map(() => INITIAL_BALANCE));
    // The calls really went as one JSON-RPC batch.
    expect(bodies.some((body) => body.startsWith('[') && JSON.parse(body).length >= 2)).toBe(true);
  });

  it('sends a transfer and waits for its receipt over the batch transport', async () => {
    const bodies: unknown[] = [];
    const batched = http(fx.url, {
      batch: true,
      onFetchRequest: (_request, init) => {
        bodies.push(JSON.parse(String(init.body)));
      },
    });
    const account = privateKeyToAccount(KEY_6);
    const wallet = createWalletClient({ account, chain: anvilChain, transport: batched });
    const reader = createPublicClient({ chain: anvilChain, transport: batched });
    const recipient = '0x000000000000000000000000000000000000ba7c';
    const before = await reader.getBalance({ address: recipient });

    const hash = await wallet.sendTransaction({ to: recipient, value: parseEther('0.25') });
    const receipt = await reader.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    expect(receipt.status).toBe('success');
    expect(receipt.transactionHash).toBe(hash);
    expect(receipt.from.toLowerCase()).toBe(account.address.toLowerCase());
    // Read the effects together, as one batch: the value arrived and the sender's nonce moved on.
    const [balance, nonce] = await Promise.all([
      reader.getBalance({ address: recipient }),
      reader.getTransactionCount({ address: account.address }),
    ]);
    expect(balance).toBe(before + parseEther('0.25'));
    expect(nonce).toBe(1);

    // Everything went through the batch path: the transport sends even a lone call as an array.
    expect(bodies.every(Array.isArray)).toBe(true);
    const methods = (bodies as { method: string }[][]).map((batch) => batch.map((item) => item.method));
    expect(methods.flat()).toContain('eth_sendRawTransaction');
    expect(methods.flat()).toContain('eth_getTransactionReceipt');
    expect(methods.map((batch) => batch.sort().join())).toContain('eth_getBalance,eth_getTransactionCount');
  });
});

describe('eth_sendRawTransaction resend semantics', () => {
  const account = privateKeyToAccount(KEY_1);
  const anvilUrl = () => fx.anvils[0]!.url;

  async function signTransfer(nonce: number, value: bigint): Promise<`0x${string}`> {
    return account.signTransaction({
      chainId: 31337,
      type: 'eip1559',
      nonce,
      to: '0x000000000000000000000000000000000000cafE',
      value,
      gas: 21_000n,
      maxFeePerGas: parseGwei('100'),
      maxPriorityFeePerGas: parseGwei('1'),
    });
  }

  const sendRaw = (raw: string, url = fx.url) => rpc(url, 'eth_sendRawTransaction', [raw]);
  const mined = (raw: `0x${string}`) =>
    client.waitForTransactionReceipt({ hash: keccak256(raw), pollingInterval: 20 });
  const nonceOf = async () => client.getTransactionCount({ address: account.address, blockTag: 'pending' });

  it('the same mined transaction sent twice returns the same hash both times', async () => {
    const raw = await signTransfer(await nonceOf(), 1n);
    const first = await sendRaw(raw);
    expect(first.body).toMatchObject({ id: 1, result: keccak256(raw) });
    await mined(raw); // automine answers before it mines
    // What anvil itself says to the resend: the gateway must turn it into success.
    const direct = await sendRaw(raw, anvilUrl());
    expect(direct.body).toMatchObject({ error: { message: expect.stringMatching(/nonce too low/i) } });
    const second = await sendRaw(raw);
    expect(second.body).toEqual({ jsonrpc: '2.0', id: 1, result: keccak256(raw) });
  });

  it('the same pending transaction sent twice returns the same hash both times', async () => {
    await rpc(anvilUrl(), 'evm_setAutomine', [false]);
    try {
      const raw = await signTransfer(await nonceOf(), 2n);
      expect((await sendRaw(raw)).body).toMatchObject({ result: keccak256(raw) });
      const direct = await sendRaw(raw, anvilUrl());
      expect(direct.body).toMatchObject({ error: { message: expect.stringMatching(/already/i) } });
      expect((await sendRaw(raw)).body).toEqual({ jsonrpc: '2.0', id: 1, result: keccak256(raw) });
    } finally {
      await rpc(anvilUrl(), 'evm_setAutomine', [true]);
      await rpc(anvilUrl(), 'evm_mine', []);
    }
  });

  it('a different transaction reusing a mined nonce still gets the node error', async () => {
    const nonce = await nonceOf();
    const raw = await signTransfer(nonce, 3n);
    expect((await sendRaw(raw)).body).toMatchObject({ result: keccak256(raw) });
    await mined(raw);
    const conflicting = await signTransfer(nonce, 4n);
    const res = await sendRaw(conflicting);
    expect(res.body).toMatchObject({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32003, message: expect.stringMatching(/nonce too low/i) },
    });
    expect(await client.getTransaction({ hash: keccak256(conflicting) }).catch(() => null)).toBeNull();
  });
});
