// A `generate` module for test/bench/generate.test.ts: request `seq` gets its own
// Idempotency-Key and a body naming it; `options.prefix` shows the options arrive.
export function uniqueRequests(options) {
  const prefix = options.prefix;
  return (seq) => ({
    body: JSON.stringify({ seq, to: `${prefix}${seq.toString(16).padStart(8, '0')}` }),
    headers: { 'Idempotency-Key': `${prefix}-${seq}` },
  });
}

/** Not a factory: the engine must refuse it by name. */
export const notAFunction = 42;
