// The one request every benchmark sends, and a check that a target answers it correctly.

export const REQUEST = { jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] };
export const REQUEST_BODY = JSON.stringify(REQUEST);
/** What the nginx stub returns for every request (valid JSON-RPC for id 1). */
export const STUB_REPLY = '{"jsonrpc":"2.0","id":1,"result":"0x1"}';

/** True when `text` is a JSON-RPC 2.0 success response for id 1. */
export function isJsonRpcSuccess(text) {
  try {
    const reply = JSON.parse(text);
    return reply?.jsonrpc === '2.0' && reply.id === 1 && 'result' in reply && !('error' in reply);
  } catch {
    return false;
  }
}

/** Sends one request and throws unless the answer is a JSON-RPC success; guards every measurement. */
export async function assertJsonRpc(url, label) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: REQUEST_BODY,
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  if (response.status !== 200 || !isJsonRpcSuccess(text)) {
    throw new Error(`${label} answered HTTP ${response.status} with ${text.slice(0, 200)}`);
  }
  return text;
}
