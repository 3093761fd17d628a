/** Thrown inside a key worker when a store write was refused: another process holds the key now. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** A lease-guarded store write answered "refused": the lease moved on. */
export function requireLease<T>(result: T | undefined | false): T {
  if (result === undefined || result === false) throw new LeaseLostError('a lease-guarded write was refused');
  return result;
}
