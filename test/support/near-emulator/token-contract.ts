/**
 * A NEP-141 fungible token with NEP-145 storage registration, as the emulator executes it:
 * `ft_transfer`, `storage_deposit` (writes) and `ft_balance_of`, `storage_balance_of`,
 * `ft_total_supply`, `storage_balance_bounds` (views). The panic messages are those of the
 * reference implementation (near-contract-standards), so relayers can match on them.
 */
import type { TokenState } from './chain-state.js';

/** Gas one `ft_transfer` burns here (a real one burns about 2–4 Tgas). */
export const FT_TRANSFER_GAS = 3_000_000_000_000n;
export const STORAGE_DEPOSIT_GAS = 3_000_000_000_000n;

export class ContractPanic extends Error {}

export interface CallContext {
  readonly predecessor: string;
  readonly deposit: bigint;
  readonly token: TokenState;
  /** The token's balances for this receipt; written back only when every action succeeds. */
  readonly balances: Map<string, bigint>;
  readonly logs: string[];
}

/** Runs one write method; returns the JSON result (or undefined). Throws ContractPanic. */
export function callTokenWrite(method: string, args: Record<string, unknown>, context: CallContext): unknown {
  if (method === 'ft_transfer') return ftTransfer(args, context);
  if (method === 'storage_deposit') return storageDeposit(args, context);
  throw new ContractPanic(`MethodNotFound: ${method}`);
}

/** Runs one view method against the committed state. */
export function callTokenView(token: TokenState, method: string, args: Record<string, unknown>): unknown {
  const accountId = typeof args.account_id === 'string' ? args.account_id : undefined;
  switch (method) {
    case 'ft_balance_of':
      if (accountId === undefined) throw new ContractPanic('Failed to deserialize input from JSON.');
      return (token.balances.get(accountId) ?? 0n).toString();
    case 'storage_balance_of':
      if (accountId === undefined) throw new ContractPanic('Failed to deserialize input from JSON.');
      return token.balances.has(accountId) ? { total: token.storageBound.toString(), available: '0' } : null;
    case 'storage_balance_bounds':
      return { min: token.storageBound.toString(), max: token.storageBound.toString() };
    case 'ft_total_supply': {
      let total = 0n;
      for (const balance of token.balances.values()) total += balance;
      return total.toString();
    }
    default:
      throw new ContractPanic(`MethodNotFound: ${method}`);
  }
}

function ftTransfer(args: Record<string, unknown>, context: CallContext): undefined {
  if (context.deposit !== 1n) throw new ContractPanic('Requires attached deposit of exactly 1 yoctoNEAR');
  const receiver = args.receiver_id;
  const amountText = args.amount;
  if (typeof receiver !== 'string' || typeof amountText !== 'string' || !/^[0-9]+$/.test(amountText))
    throw new ContractPanic('Failed to deserialize input from JSON.');
  const memo = args.memo;
  if (memo !== undefined && memo !== null && typeof memo !== 'string')
    throw new ContractPanic('Failed to deserialize input from JSON.');
  const amount = BigInt(amountText);
  const sender = context.predecessor;
  if (sender === receiver) throw new ContractPanic('Sender and receiver should be different');
  if (amount <= 0n) throw new ContractPanic('The amount should be a positive number');
  const balances = context.balances;
  const from = balances.get(sender);
  if (from === undefined) throw new ContractPanic(`The account ${sender} is not registered`);
  const to = balances.get(receiver);
  if (to === undefined) throw new ContractPanic(`The account ${receiver} is not registered`);
  if (from < amount) throw new ContractPanic("The account doesn't have enough balance");
  balances.set(sender, from - amount);
  balances.set(receiver, to + amount);
  const event: Record<string, string> = { old_owner_id: sender, new_owner_id: receiver, amount: amountText };
  if (typeof memo === 'string') event.memo = memo;
  context.logs.push(
    `EVENT_JSON:${JSON.stringify({ standard: 'nep141', version: '1.0.0', event: 'ft_transfer', data: [event] })}`,
  );
  if (typeof memo === 'string') context.logs.push(`Memo: ${memo}`);
  return undefined;
}

function storageDeposit(args: Record<string, unknown>, context: CallContext): unknown {
  const accountId = typeof args.account_id === 'string' ? args.account_id : context.predecessor;
  const bound = context.token.storageBound;
  const balance = { total: bound.toString(), available: '0' };
  if (context.balances.has(accountId)) {
    context.logs.push('The account is already registered, refunding the deposit');
    return balance;
  }
  if (context.deposit < bound)
    throw new ContractPanic('The attached deposit is less than the minimum storage balance');
  context.balances.set(accountId, 0n);
  return balance;
}
