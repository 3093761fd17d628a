/**
 * RelayerChain for EVM networks: ERC-20 transfers carried by TurnpikeBatchTransfer
 * (contracts/), signed locally with viem accounts as EIP-1559 transactions. Every node call goes
 * through the given RpcCall (in the gateway: the network pipeline), never through a viem client,
 * so failover, health and metrics apply to the relayer's own traffic.
 */
import {
  decodeFunctionResult,
  encodeFunctionData,
  type Hex,
  keccak256,
  parseTransaction,
  recoverTransactionAddress,
  toHex,
} from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { RpcAnswerError } from '../../../rpc/rpc-answer-error.js';
import type { BatchTransfer } from '../../model.js';
import type {
  BroadcastResult,
  EstimateResult,
  FeeQuote,
  PreflightResult,
  ReceiptInfo,
  RelayerChain,
  RpcCall,
  SignedTransaction,
} from '../chain.js';
import { batchTransferAbi, erc20Abi } from './abi.js';
import { batchGasFormula, GAS_PER_TRANSFER, maxTransfersUnder, withGasMargin } from './batch-gas.js';
import { isAlreadyKnown, isNonceTooLow, isRevert, revertReason } from './node-answers.js';
import { parseEvmAddress } from './parse-address.js';

export interface EvmChainOptions {
  /** One JSON-RPC call to the chain; rejects with GatewayError or RpcAnswerError. */
  rpc: RpcCall;
  /** Signed into every transaction (EIP-155 replay protection). */
  chainId: number;
  /** The deployed TurnpikeBatchTransfer. */
  batchContract: string;
  /** Gas per transfer a batch is first simulated with (batch-gas.ts). @default GAS_PER_TRANSFER */
  gasPerTransfer?: bigint;
  /** 0x-hex secp256k1 keys (see keys/load-keys.ts); one signer each. */
  privateKeys: readonly Hex[];
}

/** Priority fee when the node has no eth_maxPriorityFeePerGas. */
export const FALLBACK_PRIORITY_FEE = 1_000_000_000n;
/** A plain value transfer costs exactly this. */
const NOOP_GAS = 21_000n;

export class EvmChain implements RelayerChain {
  readonly signers: readonly string[];
  private readonly rpc: RpcCall;
  private readonly chainId: number;
  private readonly batchContract: Hex;
  private readonly gasPerTransfer: bigint;
  private readonly accounts = new Map<string, PrivateKeyAccount>();

  constructor(options: EvmChainOptions) {
    const batchContract = parseEvmAddress(options.batchContract);
    if (batchContract === undefined) throw new Error('batchContract is not a valid address');
    this.rpc = options.rpc;
    this.chainId = options.chainId;
    this.batchContract = batchContract as Hex;
    this.gasPerTransfer = options.gasPerTransfer ?? GAS_PER_TRANSFER;
    for (const key of options.privateKeys) {
      const account = privateKeyToAccount(key);
      this.accounts.set(account.address.toLowerCase(), account);
    }
    this.signers = [...this.accounts.keys()];
  }

  parseAddress(text: string): string | undefined {
    return parseEvmAddress(text);
  }

  async nonces(address: string): Promise<{ latest: number; pending: number }> {
    const [latest, pending] = await Promise.all([
      this.rpc('eth_getTransactionCount', [address, 'latest']),
      this.rpc('eth_getTransactionCount', [address, 'pending']),
    ]);
    return { latest: Number(quantity(latest, 'nonce')), pending: Number(quantity(pending, 'nonce')) };
  }

  /** Twice the latest base fee leaves room for six full blocks of +12.5 % before the tx is priced out. */
  async fees(): Promise<FeeQuote> {
    const [tip, block] = await Promise.all([
      this.priorityFee(),
      this.rpc('eth_getBlockByNumber', ['latest', false]),
    ]);
    const baseFee = (block as { baseFeePerGas?: unknown } | null)?.baseFeePerGas;
    if (baseFee === undefined || baseFee === null)
      throw new Error('the latest block has no baseFeePerGas: EIP-1559 transactions need a London chain');
    return { maxFeePerGas: 2n * quantity(baseFee, 'baseFeePerGas') + tip, maxPriorityFeePerGas: tip };
  }

  async preflight(signer: string, token: string, total: bigint): Promise<PreflightResult> {
    const [code, balance, allowance] = await Promise.all([
      this.rpc('eth_getCode', [token, 'latest']),
      this.readUint(
        token,
        encodeFunctionData({ abi: erc20Abi, functionName: 'balanceOf', args: [signer as Hex] }),
      ),
      this.readUint(
        token,
        encodeFunctionData({
          abi: erc20Abi,
          functionName: 'allowance',
          args: [signer as Hex, this.batchContract],
        }),
      ),
    ]);
    // Checked first: without code the two reads answer nothing that means anything.
    if (typeof code !== 'string' || code === '0x' || code === '')
      return { ok: false, reason: `no contract code at token ${token}`, retryable: false };
    // A contract that reverts or answers garbage to both views is no ERC-20: it never will be.
    if (balance === undefined || allowance === undefined)
      return { ok: false, reason: `token ${token} did not answer balanceOf/allowance`, retryable: false };
    // bigint: no Math.min.
    let available = balance;
    if (allowance < available) available = allowance;
    if (balance < total)
      return {
        ok: false,
        reason: `token balance of ${signer} is ${balance}, below the batch total ${total} (short by ${total - balance})`,
        retryable: true,
        available,
      };
    if (allowance < total)
      return {
        ok: false,
        reason: `allowance of ${signer} for the batch contract is ${allowance}, below the batch total ${total} (short by ${total - allowance})`,
        retryable: true,
        available,
      };
    return { ok: true, available };
  }

  /**
   * `gas` is the limit to sign with. First one eth_call at the batch's formula gas (batch-gas.ts
   * batchGasFormula, sized for the dearest transfer of the demo token): if it succeeds within
   * that, the formula plus the margin is the limit. That is one EVM run, where eth_estimateGas
   * searches for the limit over a dozen or more runs of the whole batch: at 2,000 transfers/s
   * the estimates were most of anvil's CPU (docs/benchmarks.md "Relayer"). A call that runs out
   * of gas (a dearer token, a finite allowance) or reverts is settled by eth_estimateGas: its
   * figure plus the margin, or the revert reason.
   */
  async estimateBatch(
    signer: string,
    token: string,
    transfers: readonly BatchTransfer[],
  ): Promise<EstimateResult> {
    const data = encodeBatch(token, transfers);
    const call = { from: signer, to: this.batchContract, data };
    const formula = batchGasFormula(transfers.length, this.gasPerTransfer);
    try {
      await this.rpc('eth_call', [{ ...call, gas: toHex(formula) }, 'latest']);
      return { ok: true, gas: withGasMargin(formula) };
    } catch (err) {
      // A token call that ran short of gas inside the batch surfaces as the batch contract's
      // own revert (TransferFailed), not as out-of-gas: any failure of the call goes to
      // eth_estimateGas, which tells a real revert from a limit that was too low.
      if (!isRevert(err)) throw err;
    }
    try {
      const gas = await this.rpc('eth_estimateGas', [call]);
      return { ok: true, gas: withGasMargin(quantity(gas, 'gas')) };
    } catch (err) {
      if (isRevert(err)) return { ok: false, reason: revertReason(err) };
      throw err;
    }
  }

  async signBatch(
    signer: string,
    nonce: number,
    fees: FeeQuote,
    gas: bigint,
    token: string,
    transfers: readonly BatchTransfer[],
  ): Promise<SignedTransaction> {
    return this.sign(signer, {
      nonce,
      fees,
      gas,
      to: this.batchContract,
      data: encodeBatch(token, transfers),
    });
  }

  async resign(signer: string, raw: string, fees: FeeQuote): Promise<SignedTransaction> {
    const old = parseTransaction(raw as Hex);
    const { nonce, gas, to } = old;
    if (old.type !== 'eip1559' || nonce === undefined || gas === undefined || to == null)
      throw new Error('resign: not an EIP-1559 call transaction');
    if (old.chainId !== this.chainId || (old.value ?? 0n) !== 0n)
      throw new Error('resign: not a transaction this chain signs (other chain id, or a value)');
    // Re-signing another key's transaction would move that nonce to this key: refuse.
    const from = await recoverTransactionAddress({ serializedTransaction: raw as `0x02${string}` });
    if (from.toLowerCase() !== signer.toLowerCase())
      throw new Error(`resign: the transaction is not from ${signer}`);
    return this.sign(signer, { nonce, fees, gas, to, data: old.data ?? '0x' });
  }

  async signNoop(signer: string, nonce: number, fees: FeeQuote): Promise<SignedTransaction> {
    return this.sign(signer, { nonce, fees, gas: NOOP_GAS, to: this.account(signer).address, data: '0x' });
  }

  async broadcast(raw: string): Promise<BroadcastResult> {
    try {
      const answer = await this.rpc('eth_sendRawTransaction', [raw]);
      // Turnpike's own pipeline answers the hash for "already known" / "nonce too low, but this very tx".
      const hash = keccak256(raw as Hex);
      if (typeof answer === 'string' && answer.toLowerCase() === hash) return { kind: 'accepted' };
      return { kind: 'rejected', reason: `the node answered ${String(answer)} instead of the hash ${hash}` };
    } catch (err) {
      if (!(err instanceof RpcAnswerError)) throw err;
      if (isAlreadyKnown(err)) return { kind: 'accepted' };
      if (isNonceTooLow(err)) return { kind: 'nonce-too-low' };
      return { kind: 'rejected', reason: err.message };
    }
  }

  /** One call per hash, all at once: RpcCall carries single calls, and the pipeline balances them. */
  async headNumber(): Promise<number> {
    return Number(quantity(await this.rpc('eth_blockNumber', []), 'blockNumber'));
  }

  async receipts(hashes: readonly string[]): Promise<Map<string, ReceiptInfo>> {
    const answers = await Promise.all(hashes.map((hash) => this.rpc('eth_getTransactionReceipt', [hash])));
    const found = new Map<string, ReceiptInfo>();
    answers.forEach((answer, i) => {
      const receipt = answer as { status?: unknown; blockNumber?: unknown; blockHash?: unknown } | null;
      if (receipt === null || receipt === undefined || receipt.blockHash === null) return;
      found.set(hashes[i]!, {
        status: receipt.status === '0x1' ? 'success' : 'reverted',
        blockNumber: Number(quantity(receipt.blockNumber, 'blockNumber')),
        blockHash: String(receipt.blockHash),
      });
    });
    return found;
  }

  maxBatchSize(gasCap: bigint): number {
    return maxTransfersUnder(gasCap);
  }

  private async priorityFee(): Promise<bigint> {
    try {
      return quantity(await this.rpc('eth_maxPriorityFeePerGas', []), 'maxPriorityFeePerGas');
    } catch (err) {
      // The node lacks the method (or answers it badly); a pipeline failure still propagates.
      if (err instanceof RpcAnswerError) return FALLBACK_PRIORITY_FEE;
      throw err;
    }
  }

  /** A uint256 view call; undefined when the answer is not one (a token without the function). */
  private async readUint(token: string, data: Hex): Promise<bigint | undefined> {
    let answer: unknown;
    try {
      answer = await this.rpc('eth_call', [{ to: token, data }, 'latest']);
    } catch (err) {
      if (isRevert(err)) return undefined;
      throw err;
    }
    if (typeof answer !== 'string' || answer.length < 66) return undefined;
    return decodeFunctionResult({ abi: erc20Abi, functionName: 'balanceOf', data: answer as Hex });
  }

  private account(signer: string): PrivateKeyAccount {
    const account = this.accounts.get(signer.toLowerCase());
    if (account === undefined) throw new Error(`no key for signer ${signer}`);
    return account;
  }

  private async sign(
    signer: string,
    tx: { nonce: number; fees: FeeQuote; gas: bigint; to: Hex; data: Hex },
  ): Promise<SignedTransaction> {
    const raw = await this.account(signer).signTransaction({
      type: 'eip1559',
      chainId: this.chainId,
      nonce: tx.nonce,
      to: tx.to,
      data: tx.data,
      value: 0n,
      gas: tx.gas,
      maxFeePerGas: tx.fees.maxFeePerGas,
      maxPriorityFeePerGas: tx.fees.maxPriorityFeePerGas,
    });
    return { raw, hash: keccak256(raw) };
  }
}

function encodeBatch(token: string, transfers: readonly BatchTransfer[]): Hex {
  return encodeFunctionData({
    abi: batchTransferAbi,
    functionName: 'transferBatch',
    args: [token as Hex, transfers.map((t) => t.to as Hex), transfers.map((t) => t.amount)],
  });
}

/** A JSON-RPC quantity ("0x1a") as bigint; a malformed answer is an error, not a zero. */
function quantity(value: unknown, what: string): bigint {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]+$/.test(value))
    throw new Error(`the node answered ${what} ${JSON.stringify(value)}, not a hex quantity`);
  return BigInt(value);
}
