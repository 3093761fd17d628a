/**
 * Two anvil nodes at different heights, for the consistency tests: `ahead` is mined `lead`
 * blocks further than `behind` at start; with `blockTime` both keep mining, so the gap stays
 * while both heads move. They are two chains with the same id and accounts, not one chain served
 * late (part of issue 22 builds that replica): a test that routes wrongly sees another height,
 * or a transaction missing, which is what these tests look for.
 */
import { type AnvilNode, startAnvil } from '../../src/dev/anvil.js';
import { rpc } from './rpc.js';

export interface UnevenAnvils {
  readonly ahead: AnvilNode;
  readonly behind: AnvilNode;
  stop(): Promise<void>;
}

export async function startUnevenAnvils(options: {
  lead: number;
  blockTime?: number;
}): Promise<UnevenAnvils> {
  const anvilOptions = options.blockTime === undefined ? {} : { blockTime: options.blockTime };
  const [ahead, behind] = await Promise.all([startAnvil(anvilOptions), startAnvil(anvilOptions)]);
  await rpc(ahead!.url, 'anvil_mine', [`0x${options.lead.toString(16)}`]);
  return {
    ahead: ahead!,
    behind: behind!,
    async stop() {
      await Promise.all([ahead!.stop(), behind!.stop()]);
    },
  };
}

/** The node's head, read directly. */
export async function headOf(node: AnvilNode): Promise<number> {
  const answer = await rpc(node.url, 'eth_blockNumber');
  return Number.parseInt((answer.body as { result: string }).result, 16);
}
