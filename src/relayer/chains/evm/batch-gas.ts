/**
 * Gas figures of a transferBatch transaction, for sizing batches before anything is estimated.
 *
 * Measured by test/relayer-evm-chain.test.ts on anvil (cancun rules, TurnpikeDemoToken, solc
 * 0.8.37 with the optimizer): gasUsed of batches of 1 and 51 transfers to fresh recipients (each
 * recipient balance goes from zero to non-zero in a cold slot, the dearest case), amounts of
 * 10^18 base units and more. Per transfer = (gas51 − gas1) / 50; overhead = gas1 − per transfer.
 * The test prints both and fails when they exceed the figures below. Measured 26,587 per transfer
 * (mostly the 22,100 of a cold zero → non-zero SSTORE, then the Transfer log, the warm call and
 * 64 bytes of calldata) and 32,277 overhead; rounded up for larger amounts (more non-zero calldata
 * bytes). Other tokens cost more per transfer (proxies, blocklists): a batch is simulated at the
 * formula's gas first, and one that runs out of it is estimated by eth_estimateGas instead
 * (EvmChain.estimateBatch).
 */
export const GAS_PER_TRANSFER = 27_000n;
/** Intrinsic 21,000, the token's cold account, the sender's balance and allowance slots. */
export const GAS_BATCH_OVERHEAD = 33_000n;

/** Gas of a batch of `transfers` at `perTransfer` each: the limit its simulation runs with. */
export function batchGasFormula(transfers: number, perTransfer = GAS_PER_TRANSFER): bigint {
  return GAS_BATCH_OVERHEAD + BigInt(transfers) * perTransfer;
}

/** The estimate is padded by this many percent before signing; see withGasMargin. */
export const GAS_MARGIN_PERCENT = 20n;

/**
 * The gas limit to sign with. The estimate is made against the state of the latest block; by
 * the time the transaction is mined earlier batches of the same key may have changed the balances
 * it touches (a recipient emptied meanwhile costs a cold zero→non-zero write again), and
 * estimates sit exactly on the edge where 63/64 of the gas reaches each token call. Unused gas is
 * not paid for, so the margin costs nothing; running out would cost the whole batch's fee.
 */
export function withGasMargin(estimate: bigint): bigint {
  const scaled = estimate * (100n + GAS_MARGIN_PERCENT);
  return (scaled + 99n) / 100n;
}

/** Most transfers whose padded gas stays within `gasCap`. */
export function maxTransfersUnder(gasCap: bigint): number {
  const usable = (gasCap * 100n) / (100n + GAS_MARGIN_PERCENT) - GAS_BATCH_OVERHEAD;
  if (usable < GAS_PER_TRANSFER) return 0;
  return Number(usable / GAS_PER_TRANSFER);
}
