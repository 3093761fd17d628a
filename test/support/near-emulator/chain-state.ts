/**
 * The state the emulated NEAR chain holds: accounts (balance, access keys with nonces) and NEP-141
 * token contracts (balances, NEP-145 registrations). One copy, no history: views at an older
 * block see today's state (a documented limit, docs/near.md).
 */

/** `FullAccess`, or a function-call key limited to one receiver and (optionally) method names. */
export type KeyPermission =
  | 'FullAccess'
  | { readonly receiverId: string; readonly methodNames: readonly string[]; readonly allowance?: bigint };

export interface AccessKeyState {
  nonce: bigint;
  readonly permission: KeyPermission;
}

export interface AccountState {
  amount: bigint;
  readonly keys: Map<string, AccessKeyState>;
}

export interface TokenState {
  readonly balances: Map<string, bigint>;
  /** NEP-145 `storage_balance_bounds.min`: the deposit that registers an account. */
  readonly storageBound: bigint;
}

/** 0.00125 NEAR, the usual NEP-145 minimum of a fungible token. */
export const DEFAULT_STORAGE_BOUND = 1_250_000_000_000_000_000_000n;

export class ChainState {
  readonly accounts = new Map<string, AccountState>();
  readonly tokens = new Map<string, TokenState>();

  /** Creates (or tops up) an account; keys get the nonce NEAR gives new keys (height × 10^6). */
  addAccount(accountId: string, amount: bigint, publicKeys: readonly string[], height: number): AccountState {
    let account = this.accounts.get(accountId);
    if (account === undefined) {
      account = { amount, keys: new Map() };
      this.accounts.set(accountId, account);
    } else account.amount += amount;
    for (const key of publicKeys) this.addKey(accountId, key, 'FullAccess', height);
    return account;
  }

  addKey(accountId: string, publicKey: string, permission: KeyPermission, height: number): void {
    const account = this.accounts.get(accountId);
    if (account === undefined) throw new Error(`no account ${accountId}`);
    account.keys.set(publicKey, { nonce: BigInt(height) * 1_000_000n, permission });
  }

  /** Deploys a NEP-141 token on `accountId` (created when missing) with its total supply at `owner`. */
  addToken(
    accountId: string,
    owner: string,
    supply: bigint,
    storageBound = DEFAULT_STORAGE_BOUND,
  ): TokenState {
    if (!this.accounts.has(accountId)) this.addAccount(accountId, 10n ** 24n, [], 0);
    const token: TokenState = { balances: new Map([[owner, supply]]), storageBound };
    this.tokens.set(accountId, token);
    return token;
  }
}
