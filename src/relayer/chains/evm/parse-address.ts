/**
 * EVM address parsing for requests: 0x + 40 hex digits in any case, but a mixed-case address must
 * carry a valid EIP-55 checksum (a typo in a checksummed address is caught instead of paying a
 * stranger). All-lowercase and all-uppercase carry no checksum and are taken as they are.
 */
import { checksumAddress } from 'viem';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HAS_LOWER = /[a-f]/;
const HAS_UPPER = /[A-F]/;

/** Lowercase 0x-hex address, or undefined when `text` is not one (or fails its checksum). */
export function parseEvmAddress(text: string): string | undefined {
  if (!ADDRESS.test(text)) return undefined;
  const lower = `0x${text.slice(2).toLowerCase()}`;
  const digits = text.slice(2);
  if (HAS_LOWER.test(digits) && HAS_UPPER.test(digits) && checksumAddress(lower as `0x${string}`) !== text)
    return undefined;
  return lower;
}
