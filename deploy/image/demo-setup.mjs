// `docker compose --profile demo`: puts the demo token and the batch contract on the fresh anvil
// node and writes the relayer's signing keys (fresh, funded with ETH and DEMO) to a file the
// relayer reads. Runs once; a second run finds the contracts and the file and does nothing.
// Demo only: the keys are throwaway and the chain is a local anvil node.
import { chmod, chown, readFile, writeFile } from 'node:fs/promises';
import { deployDemoContracts } from 'turnpike/dev';
import { generatePrivateKey } from 'viem/accounts';

// Where anvil's account 0 puts its first two contracts on a fresh chain (nonces 0 and 1);
// deploy/compose/turnpike.yaml names these addresses.
const EXPECTED = {
  token: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
  batchContract: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512',
};
const GATEWAY_UID = 10001;

const [rpcUrl, keysFile] = process.argv.slice(2);
if (rpcUrl === undefined || keysFile === undefined) {
  console.error('usage: demo-setup.mjs <anvil url> <keys file>');
  process.exit(2);
}

async function rpc(method, params) {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = await response.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

const existing = await readFile(keysFile, 'utf8').catch(() => undefined);
if (existing !== undefined && (await rpc('eth_getCode', [EXPECTED.batchContract, 'latest'])) !== '0x') {
  console.log('demo contracts and relayer keys are in place');
  process.exit(0);
}

const keys = Array.from({ length: 4 }, () => generatePrivateKey());
const deployed = await deployDemoContracts({
  rpcUrl,
  signerKeys: keys,
  mintPerSigner: 1_000_000n * 10n ** 18n,
  tokenSymbol: 'DEMO',
});
if (deployed.token !== EXPECTED.token || deployed.batchContract !== EXPECTED.batchContract) {
  console.error(
    `the chain was not fresh: contracts landed at ${deployed.token} and ${deployed.batchContract}`,
  );
  process.exit(1);
}
await writeFile(keysFile, `${keys.join('\n')}\n`, { mode: 0o600 });
await chown(keysFile, GATEWAY_UID, GATEWAY_UID);
await chmod(keysFile, 0o400);
console.log(
  `demo token ${deployed.token}, batch contract ${deployed.batchContract}, ${keys.length} relayer keys`,
);
