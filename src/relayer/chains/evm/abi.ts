/**
 * The few contract functions the relayer calls, written out so the running relayer needs no
 * compiler. compile-contracts.test.ts checks them against what solc makes of contracts/*.sol.
 */

/** contracts/TurnpikeBatchTransfer.sol: the function and the errors a revert may carry. */
export const batchTransferAbi = [
  {
    type: 'function',
    name: 'transferBatch',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'token', type: 'address' },
      { name: 'recipients', type: 'address[]' },
      { name: 'amounts', type: 'uint256[]' },
    ],
    outputs: [],
  },
  { type: 'error', name: 'LengthMismatch', inputs: [] },
  { type: 'error', name: 'NotAContract', inputs: [] },
  { type: 'error', name: 'TransferFailed', inputs: [{ name: 'index', type: 'uint256' }] },
] as const;

/** The ERC-20 reads and the approval the relayer and its dev setup need. */
export const erc20Abi = [
  {
    type: 'function',
    name: 'balanceOf',
    stateMutability: 'view',
    inputs: [{ name: 'account', type: 'address' }],
    outputs: [{ name: '', type: 'uint256' }],
  },
  {
    type: 'function',
    name: 'allowance',
    stateMutability: 'view',
    inputs: [
      { name: 'owner', type: 'address' },
      { name: 'spender', type: 'address' },
    ],
    outputs: [{ name: '', type: 'uint256' }],
  },
  {
    type: 'function',
    name: 'approve',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'spender', type: 'address' },
      { name: 'amount', type: 'uint256' },
    ],
    outputs: [{ name: '', type: 'bool' }],
  },
] as const;
