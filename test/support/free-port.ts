/** Free loopback port for tests; the same probe the anvil launcher uses. */
import { getFreePort as probeFreePort } from '../../src/dev/free-port.js';

export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return probeFreePort(host);
}
