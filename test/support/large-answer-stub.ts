/**
 * A JSON-RPC upstream on loopback (plain node:http) whose `eth_getLogs` answer is a result string
 * of `resultChars` characters, and everything else "0x1": anvil has no method with a huge answer.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LargeAnswerStub {
  readonly url: string;
  /** How many large answers were sent. */
  readonly largeServed: number;
  close(): Promise<void>;
}

export async function startLargeAnswerStub(resultChars: number): Promise<LargeAnswerStub> {
  const large = `"0x${'ab'.repeat((resultChars - 2) / 2)}"`;
  let largeServed = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { id, method } = JSON.parse(Buffer.concat(chunks).toString()) as { id: unknown; method: string };
      const result = method === 'eth_getLogs' ? large : '"0x1"';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${result}}`);
      if (method === 'eth_getLogs') largeServed++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    get largeServed() {
      return largeServed;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
