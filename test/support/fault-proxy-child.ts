/**
 * Entry of a fault proxy in a process of its own (run with `node --import tsx`), so a test can
 * `kill -9` it: its listener and every connection die with the process, as a node's would.
 * argv: target URL, then optionally a Fault (or list) as JSON. Prints `{"port":…}` once listening.
 */
import { startFaultProxy } from './fault-proxy.js';

const [target, fault] = process.argv.slice(2);
if (target === undefined) throw new Error('usage: fault-proxy-child <target> [fault-json]');
const proxy = await startFaultProxy(target, { countMethods: false });
if (fault !== undefined) proxy.setFault(JSON.parse(fault));
process.stdout.write(`${JSON.stringify({ port: proxy.port })}\n`);
process.on('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
