/** Value types shared by the configuration schema's sections. */
import { z } from 'zod';

export const httpUrl = z
  .string()
  .refine((value) => /^https?:\/\/[^\s/]+/i.test(value) && URL.canParse(value), {
    message: 'expected an http(s) URL',
  });

export const wsUrl = z.string().refine((value) => /^wss?:\/\/[^\s/]+/i.test(value) && URL.canParse(value), {
  message: 'expected a ws(s) URL',
});

/**
 * `${ENV}` interpolation yields strings, so `port: ${PORT}` arrives as "8080". Numbers and
 * booleans accept their plain string spelling; anything else still fails with its path.
 */
const NUMERIC = /^\s*-?\d+(?:\.\d+)?\s*$/;
export function numeric<T extends z.ZodNumber>(schema: T) {
  return z.preprocess(
    (value) => (typeof value === 'string' && NUMERIC.test(value) ? Number(value) : value),
    schema,
  );
}
export function flag() {
  return z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());
}

export const positiveInt = numeric(z.number().int().positive());
export const nonNegativeInt = numeric(z.number().int().nonnegative());
export const milliseconds = nonNegativeInt;
