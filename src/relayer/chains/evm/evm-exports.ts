/**
 * `turnpike/relayer-evm`: the batch contract's ABI and the relayer's gas sizing, so the relayer
 * benchmark's baseline sends exactly what the relayer would (imported by package name).
 */
export { batchTransferAbi } from './abi.js';
export { GAS_BATCH_OVERHEAD, GAS_PER_TRANSFER, withGasMargin } from './batch-gas.js';
