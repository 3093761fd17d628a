/**
 * The sender of a signed transaction sent with eth_sendRawTransaction, recovered from its
 * signature with viem (loaded on the first send, so gateways that relay no transactions never
 * load it). Undefined when the bytes are not a transaction viem can read: the node will say why.
 */
type Recover = (args: { serializedTransaction: `0x${string}` }) => Promise<string>;

let recover: Promise<Recover> | undefined;

export async function recoverSender(params: unknown): Promise<string | undefined> {
  const raw = Array.isArray(params) ? (params as unknown[])[0] : undefined;
  if (typeof raw !== 'string' || !raw.startsWith('0x')) return undefined;
  recover ??= import('viem').then((viem) => viem.recoverTransactionAddress as unknown as Recover);
  try {
    return (await (await recover)({ serializedTransaction: raw as `0x${string}` })).toLowerCase();
  } catch {
    return undefined;
  }
}
