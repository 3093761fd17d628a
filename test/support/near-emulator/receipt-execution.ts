/**
 * Executes one transaction's action receipt, atomically as NEAR does: the actions run in order
 * against a scratch copy of the state they touch, and the first failure discards every change
 * and fails the whole receipt with `ActionError { index, kind }`.
 */
import type { ChainState } from './chain-state.js';
import type { EmulatedAction, VerifiedTransaction } from './signed-transaction.js';
import {
  type CallContext,
  ContractPanic,
  callTokenWrite,
  FT_TRANSFER_GAS,
  STORAGE_DEPOSIT_GAS,
} from './token-contract.js';
import { ACTION_BASE_GAS } from './tx-admission.js';

export type ExecutionStatus =
  | { readonly SuccessValue: string }
  | { readonly Failure: { readonly ActionError: { readonly index: number; readonly kind: unknown } } };

export interface ReceiptResult {
  readonly status: ExecutionStatus;
  readonly logs: readonly string[];
  readonly gasBurnt: bigint;
  /** Deposits to give back to the signer (all of them when the receipt failed). */
  readonly refundDeposit: bigint;
}

class ActionFailure extends Error {
  constructor(readonly kind: unknown) {
    super('action failed');
  }
}

export function executeReceipt(state: ChainState, tx: VerifiedTransaction, height: number): ReceiptResult {
  const logs: string[] = [];
  const token = state.tokens.get(tx.receiverId);
  const balances = token === undefined ? undefined : new Map(token.balances);
  const keyChanges: Array<() => void> = [];
  let deposits = 0n;
  let gasBurnt = 0n;
  let lastResult: unknown;
  for (let index = 0; index < tx.actions.length; index++) {
    const action = tx.actions[index]!;
    gasBurnt += ACTION_BASE_GAS;
    try {
      lastResult = runAction(state, tx, action, height, logs, balances, keyChanges);
      if (action.kind === 'FunctionCall') gasBurnt += gasOf(action.methodName);
    } catch (err) {
      if (!(err instanceof ActionFailure)) throw err;
      return {
        status: { Failure: { ActionError: { index, kind: err.kind } } },
        logs,
        gasBurnt,
        refundDeposit: depositsOf(tx),
      };
    }
    if (action.kind === 'FunctionCall' || action.kind === 'Transfer') deposits += action.deposit;
  }
  if (token !== undefined && balances !== undefined) {
    token.balances.clear();
    for (const [account, balance] of balances) token.balances.set(account, balance);
  }
  for (const change of keyChanges) change();
  const receiver = state.accounts.get(tx.receiverId);
  if (receiver !== undefined) receiver.amount += deposits;
  const value = lastResult === undefined ? '' : Buffer.from(JSON.stringify(lastResult)).toString('base64');
  return { status: { SuccessValue: value }, logs, gasBurnt, refundDeposit: 0n };
}

function runAction(
  state: ChainState,
  tx: VerifiedTransaction,
  action: EmulatedAction,
  height: number,
  logs: string[],
  balances: Map<string, bigint> | undefined,
  keyChanges: Array<() => void>,
): unknown {
  switch (action.kind) {
    case 'Transfer':
      if (!state.accounts.has(tx.receiverId))
        throw new ActionFailure({ AccountDoesNotExist: { account_id: tx.receiverId } });
      return undefined;
    case 'FunctionCall': {
      const token = state.tokens.get(tx.receiverId);
      if (token === undefined || balances === undefined)
        throw new ActionFailure({
          FunctionCallError: { CompilationError: { CodeDoesNotExist: { account_id: tx.receiverId } } },
        });
      if (action.gas < gasOf(action.methodName))
        throw new ActionFailure({ FunctionCallError: { ExecutionError: 'Exceeded the prepaid gas.' } });
      let args: Record<string, unknown>;
      try {
        args = JSON.parse(action.args.toString('utf8')) as Record<string, unknown>;
      } catch {
        throw panic('Failed to deserialize input from JSON.');
      }
      const context: CallContext = {
        predecessor: tx.signerId,
        deposit: action.deposit,
        token,
        balances,
        logs,
      };
      try {
        return callTokenWrite(action.methodName, args ?? {}, context);
      } catch (err) {
        if (err instanceof ContractPanic) throw panic(err.message);
        throw err;
      }
    }
    case 'AddKey':
    case 'DeleteKey':
      if (tx.receiverId !== tx.signerId)
        throw new ActionFailure({ ActorNoPermission: { account_id: tx.receiverId, actor_id: tx.signerId } });
      if (action.kind === 'AddKey') {
        const permission = action.fullAccess
          ? ('FullAccess' as const)
          : { receiverId: action.receiverId, methodNames: action.methodNames };
        if (state.accounts.get(tx.signerId)?.keys.has(action.publicKey))
          throw new ActionFailure({
            AddKeyAlreadyExists: { account_id: tx.signerId, public_key: action.publicKey },
          });
        keyChanges.push(() => state.addKey(tx.signerId, action.publicKey, permission, height));
      } else {
        if (!state.accounts.get(tx.signerId)?.keys.has(action.publicKey))
          throw new ActionFailure({
            DeleteKeyDoesNotExist: { account_id: tx.signerId, public_key: action.publicKey },
          });
        keyChanges.push(() => state.accounts.get(tx.signerId)?.keys.delete(action.publicKey));
      }
      return undefined;
    default:
      throw new ActionFailure({ UnsupportedAction: { action: action.kind } });
  }
}

function panic(message: string): ActionFailure {
  return new ActionFailure({ FunctionCallError: { ExecutionError: `Smart contract panicked: ${message}` } });
}

function gasOf(method: string): bigint {
  return method === 'storage_deposit' ? STORAGE_DEPOSIT_GAS : FT_TRANSFER_GAS;
}

function depositsOf(tx: VerifiedTransaction): bigint {
  let total = 0n;
  for (const action of tx.actions)
    if (action.kind === 'FunctionCall' || action.kind === 'Transfer') total += action.deposit;
  return total;
}
