// The relayer benchmark's requests, built by `turnpike bench`'s engine in its generator thread
// (a `generate` request kind, see docs/bench.md): request `seq` carries the Idempotency-Key
// `<tag>-<seq>` and `perRequest` transfers, transfer j to the recipient of transfer index
// seq · perRequest + j, so the on-chain audit can tell every transfer of the run apart.

/** Recipients of the `reused` mode: this many addresses, used in turn. */
export const REUSED_RECIPIENTS = 1_000;

/** The recipient of transfer `n` (0-based over the whole run) of a run tagged `tag` (8 hex digits). */
export function recipientOf(tag, n, mode) {
  const index = mode === 'reused' ? n % REUSED_RECIPIENTS : n;
  return `0x${tag}${index.toString(16).padStart(32, '0')}`;
}

/** The engine's factory: options → (seq → { body, headers }). */
export function transferRequests({
  tag,
  perRequest = 1,
  recipients = 'unique',
  amount = '1000',
  token = 'DEMO',
}) {
  const transfer = (n) =>
    `{"token":"${token}","to":"${recipientOf(tag, n, recipients)}","amount":"${amount}"}`;
  return (seq) => {
    const first = seq * perRequest;
    let body;
    if (perRequest === 1) body = transfer(first);
    else {
      const parts = [];
      for (let j = 0; j < perRequest; j++) parts.push(transfer(first + j));
      body = `{"transfers":[${parts.join(',')}]}`;
    }
    return { body, headers: { 'idempotency-key': `${tag}-${seq}` } };
  };
}
