/**
 * Whether a verified transaction may enter the pool, with nearcore's `InvalidTxError` variants:
 * signer and key exist, the nonce is above the key's and below height × 10^6, the key's
 * permission allows the actions, the block hash is recent, prepaid gas and action count are
 * within limits, the balance covers gas and deposits.
 */
import type { ChainState, KeyPermission } from './chain-state.js';
import { invalidTransaction } from './near-errors.js';
import type { VerifiedTransaction } from './signed-transaction.js';

export interface AdmissionLimits {
  readonly gasPrice: bigint;
  /** Most prepaid gas of one transaction's actions (nearcore: `max_total_prepaid_gas`). */
  readonly maxPrepaidGas: bigint;
  readonly maxActions: number;
}

/** Gas a transaction burns to become a receipt, and per action (close to nearcore's fees). */
export const TX_BASE_GAS = 2_428_000_000_000n;
export const ACTION_BASE_GAS = 200_000_000_000n;

/** What the signer pays up front: gas at the current price and every deposit. */
export function upfrontCost(tx: VerifiedTransaction, gasPrice: bigint): bigint {
  let gas = TX_BASE_GAS;
  let deposits = 0n;
  for (const action of tx.actions) {
    gas += ACTION_BASE_GAS;
    if (action.kind === 'FunctionCall') {
      gas += action.gas;
      deposits += action.deposit;
    } else if (action.kind === 'Transfer') deposits += action.deposit;
  }
  return gas * gasPrice + deposits;
}

export function admitTransaction(
  state: ChainState,
  tx: VerifiedTransaction,
  height: number,
  limits: AdmissionLimits,
): void {
  const signer = state.accounts.get(tx.signerId);
  if (signer === undefined) throw invalidTransaction({ SignerDoesNotExist: { signer_id: tx.signerId } });
  const key = signer.keys.get(tx.publicKey);
  if (key === undefined)
    throw invalidTransaction({
      InvalidAccessKeyError: { AccessKeyNotFound: { account_id: tx.signerId, public_key: tx.publicKey } },
    });
  if (tx.nonce <= key.nonce)
    throw invalidTransaction({ InvalidNonce: { tx_nonce: Number(tx.nonce), ak_nonce: Number(key.nonce) } });
  const upper = BigInt(height) * 1_000_000n;
  if (tx.nonce >= upper)
    throw invalidTransaction({ NonceTooLarge: { tx_nonce: Number(tx.nonce), upper_bound: Number(upper) } });
  checkPermission(tx, key.permission);
  if (tx.actions.length > limits.maxActions)
    throw invalidTransaction({
      ActionsValidation: {
        TotalNumberOfActionsExceeded: {
          total_number_of_actions: tx.actions.length,
          limit: limits.maxActions,
        },
      },
    });
  let prepaid = 0n;
  for (const action of tx.actions) if (action.kind === 'FunctionCall') prepaid += action.gas;
  if (prepaid > limits.maxPrepaidGas)
    throw invalidTransaction({
      ActionsValidation: {
        TotalPrepaidGasExceeded: { total_prepaid_gas: Number(prepaid), limit: Number(limits.maxPrepaidGas) },
      },
    });
  for (const action of tx.actions) {
    if (action.kind === 'Other')
      throw invalidTransaction({
        ActionsValidation: { UnsupportedProtocolFeature: { protocol_feature: action.name, version: 0 } },
      });
    if (action.kind === 'FunctionCall' && action.gas === 0n)
      throw invalidTransaction({ ActionsValidation: 'FunctionCallZeroAttachedGas' });
  }
  const cost = upfrontCost(tx, limits.gasPrice);
  if (signer.amount < cost)
    throw invalidTransaction({
      NotEnoughBalance: { signer_id: tx.signerId, balance: signer.amount.toString(), cost: cost.toString() },
    });
}

/** A function-call key signs one FunctionCall without deposit, to its receiver and methods. */
function checkPermission(tx: VerifiedTransaction, permission: KeyPermission): void {
  if (permission === 'FullAccess') return;
  const [action] = tx.actions;
  if (tx.actions.length !== 1 || action?.kind !== 'FunctionCall')
    throw invalidTransaction({ InvalidAccessKeyError: 'RequiresFullAccess' });
  if (action.deposit !== 0n)
    throw invalidTransaction({ InvalidAccessKeyError: { DepositWithFunctionCall: null } });
  if (tx.receiverId !== permission.receiverId)
    throw invalidTransaction({
      InvalidAccessKeyError: {
        ReceiverMismatch: { tx_receiver: tx.receiverId, ak_receiver: permission.receiverId },
      },
    });
  if (permission.methodNames.length > 0 && !permission.methodNames.includes(action.methodName))
    throw invalidTransaction({
      InvalidAccessKeyError: { MethodNameMismatch: { method_name: action.methodName } },
    });
}
