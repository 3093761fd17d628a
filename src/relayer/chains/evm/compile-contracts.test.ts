import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AbiFunction } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import { batchTransferAbi, erc20Abi } from './abi.js';
import { CONTRACTS_DIR, compileContracts, pickContract } from './compile-contracts.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

/** A function or error's name and input/output types: what encoding depends on. */
function shape(abi: readonly unknown[], name: string): unknown {
  const item = abi.find((entry) => (entry as AbiFunction).name === name) as AbiFunction | undefined;
  if (item === undefined) return undefined;
  return {
    type: item.type,
    inputs: item.inputs.map((input) => input.type),
    outputs: (item.outputs ?? []).map((output) => output.type),
  };
}

describe('compileContracts', () => {
  it('compiles contracts/ and caches the result on disk', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'turnpike-solc-test-'));
    dirs.push(cacheDir);
    const contracts = await compileContracts({ cacheDir });
    expect(Object.keys(contracts).sort()).toEqual(['TurnpikeBatchTransfer', 'TurnpikeDemoToken']);
    for (const contract of Object.values(contracts))
      expect(contract.bytecode).toMatch(/^0x(?:[0-9a-f]{2})+$/);
    expect((await readdir(cacheDir)).filter((name) => name.endsWith('.json'))).toHaveLength(1);
    // The second call is answered from memory: the same object.
    expect(await compileContracts({ cacheDir })).toBe(contracts);
    expect(() => pickContract(contracts, 'Nope')).toThrow(/no contract Nope among TurnpikeBatchTransfer/);
  });

  it('the hand-written ABIs match what solc makes of the sources', async () => {
    const contracts = await compileContracts({ cacheDir: null });
    const batch = pickContract(contracts, 'TurnpikeBatchTransfer').abi;
    for (const name of ['transferBatch', 'LengthMismatch', 'NotAContract', 'TransferFailed'])
      expect(shape(batch, name)).toEqual(shape(batchTransferAbi, name));
    const token = pickContract(contracts, 'TurnpikeDemoToken').abi;
    for (const name of ['balanceOf', 'allowance', 'approve'])
      expect(shape(token, name)).toEqual(shape(erc20Abi, name));
  });

  it('finds the package contracts/ folder', () => {
    expect(existsSync(join(CONTRACTS_DIR, 'TurnpikeBatchTransfer.sol'))).toBe(true);
  });
});
