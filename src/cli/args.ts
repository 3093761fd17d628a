/** Shared option parsing: `--workers N` and `--port P` as non-negative integers. */
import { parseArgs } from 'node:util';

export interface CommonOptions {
  config: string | undefined;
  workers: number | undefined;
  port: number | undefined;
}

export function parseCommon(args: string[]): CommonOptions {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      workers: { type: 'string', short: 'w' },
      port: { type: 'string', short: 'p' },
    },
    strict: true,
  });
  return {
    config: values.config,
    workers: integer('--workers', values.workers, 0, 1024),
    port: integer('--port', values.port, 0, 65_535),
  };
}

function integer(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}
