// The relayer benchmark's requests, built by `turnpike bench`'s engine in its generator thread
// (a `generate` request kind, see docs/bench.md): request `seq` carries the Idempotency-Key
// `<tag>-<seq>` and `perRequest` transfers, transfer j to the recipient of transfer index
// seq · perRequest + j, so the on-chain audit can tell every transfer of the run apart: by its
// recipient in the `unique` mode, by recipient and amount in the `reused` one.

/**
 * Recipients of the `reused` mode: this many addresses, used in turn. Reusing them keeps the
 * token's storage from growing, and anvil's cost per block with it (fresh recipients slow anvil
 * down by itself within minutes: `node benchmarks/anvil-soak.mjs 2100 240 unique|reused`).
 */
export const REUSED_RECIPIENTS = 1_000;

/** The recipient of transfer `n` (0-based over the whole run) of a run tagged `tag` (8 hex digits). */
export function recipientOf(tag, n, mode) {
  const index = mode === 'reused' ? n % REUSED_RECIPIENTS : n;
  return `0x${tag}${index.toString(16).padStart(32, '0')}`;
}

/**
 * The amount of transfer `n`: `base` for fresh recipients; in the `reused` mode `base` plus the
 * round (n ÷ REUSED_RECIPIENTS), so no two transfers of a run share recipient and amount.
 */
export function amountOf(n, base, mode) {
  return mode === 'reused'
    ? (BigInt(base) + BigInt(Math.floor(n / REUSED_RECIPIENTS))).toString()
    : String(base);
}

/** How the on-chain audit names one transfer. */
export const transferKey = (recipient, amount) => `${recipient.toLowerCase()}:${amount}`;

/** The engine's factory: options → (seq → { body, headers }). */
export function transferRequests({
  tag,
  perRequest = 1,
  recipients = 'unique',
  amount = '1000',
  token = 'DEMO',
  apiKey,
}) {
  const transfer = (n) =>
    `{"token":"${token}","to":"${recipientOf(tag, n, recipients)}","amount":"${amountOf(n, amount, recipients)}"}`;
  return (seq) => {
    const first = seq * perRequest;
    let body;
    if (perRequest === 1) body = transfer(first);
    else {
      const parts = [];
      for (let j = 0; j < perRequest; j++) parts.push(transfer(first + j));
      body = `{"transfers":[${parts.join(',')}]}`;
    }
    const headers = { 'idempotency-key': `${tag}-${seq}` };
    // With tenancy on (the fairness mode) every request carries its tenant's key.
    if (apiKey !== undefined) headers['x-api-key'] = apiKey;
    return { body, headers };
  };
}
