/**
 * Puts the relayer's contracts on a local anvil node for `turnpike dev` and the tests: deploys
 * TurnpikeDemoToken and TurnpikeBatchTransfer, gives each signer ETH for gas and tokens to send,
 * and approves the batch contract from each signer. Uses viem clients directly: this is setup, not
 * the relayer's path (which goes through the gateway pipeline).
 */
import {
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  maxUint256,
  numberToHex,
  type PublicClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import { erc20Abi } from '../relayer/chains/evm/abi.js';
import { compileContracts, pickContract } from '../relayer/chains/evm/compile-contracts.js';

/** Account 0 of anvil's well-known test mnemonic ("test test … junk"): funded with 10,000 ETH. */
export const ANVIL_DEPLOYER_KEY: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export interface DemoContractsOptions {
  rpcUrl: string;
  /** Pays for the deployments and owns the token (may mint). @default ANVIL_DEPLOYER_KEY */
  deployerKey?: Hex;
  /** The relayer's keys: each gets ETH, `mintPerSigner` tokens and an unlimited approval. */
  signerKeys: readonly Hex[];
  /** Base units minted to each signer. */
  mintPerSigner: bigint;
  /** ETH (wei) each signer's balance is set to with anvil_setBalance. @default 1,000 ETH */
  signerEth?: bigint;
  /** @default 'Turnpike Demo' */
  tokenName?: string;
  /** @default 'TPD' */
  tokenSymbol?: string;
}

export interface DemoContracts {
  /** Lowercase addresses. */
  readonly token: string;
  readonly batchContract: string;
}

export async function deployDemoContracts(options: DemoContractsOptions): Promise<DemoContracts> {
  const transport = http(options.rpcUrl);
  const chainId = await createPublicClient({ transport }).getChainId();
  const chain = { ...foundry, id: chainId };
  const client = createPublicClient({ chain, transport }) as PublicClient;
  const deployer = createWalletClient({
    chain,
    transport,
    account: privateKeyToAccount(options.deployerKey ?? ANVIL_DEPLOYER_KEY),
  });
  const contracts = await compileContracts();
  const tokenArtifact = pickContract(contracts, 'TurnpikeDemoToken');
  const batchArtifact = pickContract(contracts, 'TurnpikeBatchTransfer');

  const token = await deployed(
    client,
    await deployer.deployContract({
      abi: tokenArtifact.abi,
      bytecode: tokenArtifact.bytecode,
      args: [options.tokenName ?? 'Turnpike Demo', options.tokenSymbol ?? 'TPD'],
    }),
  );
  const batchContract = await deployed(
    client,
    await deployer.deployContract({ abi: batchArtifact.abi, bytecode: batchArtifact.bytecode }),
  );

  const signerEth = options.signerEth ?? 1_000n * 10n ** 18n;
  for (const key of options.signerKeys) {
    const account = privateKeyToAccount(key);
    await client.request({
      method: 'anvil_setBalance' as never,
      params: [account.address, numberToHex(signerEth)] as never,
    });
    const mint = await deployer.writeContract({
      address: token,
      abi: tokenArtifact.abi,
      functionName: 'mint',
      args: [account.address, options.mintPerSigner],
    });
    const signer = createWalletClient({ chain, transport, account });
    const approve = await signer.writeContract({
      address: token,
      abi: erc20Abi,
      functionName: 'approve',
      args: [batchContract, maxUint256],
    });
    await Promise.all([succeeded(client, mint), succeeded(client, approve)]);
  }
  return { token: token.toLowerCase(), batchContract: batchContract.toLowerCase() };
}

async function deployed(client: PublicClient, hash: Hex): Promise<Hex> {
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success' || !receipt.contractAddress)
    throw new Error(`deployment ${hash} failed (status ${receipt.status})`);
  return receipt.contractAddress;
}

async function succeeded(client: PublicClient, hash: Hex): Promise<void> {
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success') throw new Error(`transaction ${hash} reverted`);
}
