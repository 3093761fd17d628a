/**
 * A JSON-RPC error the node answered about a call Turnpike made itself (the relayer's
 * `eth_sendRawTransaction`, `eth_estimateGas`). It is the node's answer, not a pipeline
 * failure: callers branch on `rpcCode` and `message` ("nonce too low", "execution reverted").
 */
export class RpcAnswerError extends Error {
  override readonly name = 'RpcAnswerError';
  readonly rpcCode: number;
  readonly data: unknown;

  constructor(method: string, error: { code?: unknown; message?: unknown; data?: unknown }) {
    super(`${method}: ${typeof error.message === 'string' ? error.message : 'error without a message'}`);
    this.rpcCode = typeof error.code === 'number' ? error.code : 0;
    this.data = error.data;
  }
}
