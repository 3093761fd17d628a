/**
 * A zod schema compiled into a plain checker for a hot path: it gives the parsed value of a
 * valid input or INVALID, and nothing else; the schema itself still says why (parseCompiled in
 * validation.ts runs zod only then). Measured on the relayer's intake (benchmarks/
 * relayer-intake-validation.mjs): zod's per-field payloads and pipes cost about 2 µs a transfer,
 * three times the old hand-written checks; the compiled form brings it back. It understands only
 * the schema kinds listed in `compile` and refuses any other when it is built, so a schema can
 * never be checked more loosely than zod would; the refinements and transforms are the schema's
 * own functions. Tests compare it with zod on generated inputs (compile-schema.test.ts).
 */
import { z } from 'zod';

export const INVALID: unique symbol = Symbol('invalid');

export interface CompiledSchema<S extends z.ZodType> {
  readonly schema: S;
  /** The value zod would give for `value`, or INVALID when zod would refuse it. */
  readonly check: (value: unknown) => z.output<S> | typeof INVALID;
}

type Check = (value: unknown) => unknown;

/** Throws when the schema uses a kind (or a check) this compiler does not know. */
export function compileSchema<S extends z.ZodType>(schema: S): CompiledSchema<S> {
  return { schema, check: compile(schema) as CompiledSchema<S>['check'] };
}

interface Def {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly [key: string]: unknown;
}

interface CheckDef {
  readonly check: string;
  readonly format?: string;
  readonly pattern?: RegExp;
  readonly fn?: (value: unknown) => unknown;
  readonly minimum?: number;
  readonly maximum?: number;
}

function compile(schema: z.ZodType): Check {
  const def = schema._zod.def as unknown as Def;
  switch (def.type) {
    case 'string':
      return compileString(def);
    case 'enum': {
      noChecks(def);
      const values = new Set(Object.values(def.entries as Record<string, unknown>));
      return (value) => (values.has(value) ? value : INVALID);
    }
    case 'pipe': {
      noChecks(def);
      const first = compile(def.in as z.ZodType);
      const then = compile(def.out as z.ZodType);
      return (value) => {
        const middle = first(value);
        return middle === INVALID ? INVALID : then(middle);
      };
    }
    case 'transform':
      return compileTransform(def);
    case 'array':
      return compileArray(def);
    case 'object':
      return compileObject(def);
    default:
      throw new Error(`compileSchema: a ${def.type} schema is not supported`);
  }
}

function compileString(def: Def): Check {
  const tests: ((value: string) => boolean)[] = [];
  for (const check of def.checks ?? []) {
    const { check: kind, format, pattern, fn } = check._zod.def;
    if (
      kind === 'string_format' &&
      format === 'regex' &&
      pattern !== undefined &&
      !pattern.global &&
      !pattern.sticky
    )
      tests.push((value) => pattern.test(value));
    else if (kind === 'custom' && fn !== undefined) tests.push((value) => fn(value) === true);
    else throw new Error(`compileSchema: a string check ${kind}/${format} is not supported`);
  }
  return (value) => {
    if (typeof value !== 'string') return INVALID;
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(value)) return INVALID;
    return value;
  };
}

/** A transform's context, reused: transforms are synchronous and only add issues to it. */
const context = {
  value: undefined as unknown,
  issues: [] as unknown[],
  addIssue(issue: unknown): void {
    context.issues.push(issue);
  },
};

function compileTransform(def: Def): Check {
  noChecks(def);
  const transform = def.transform as (value: unknown, ctx: unknown) => unknown;
  return (value) => {
    context.value = value;
    if (context.issues.length > 0) context.issues = [];
    const out = transform(value, context);
    if (context.issues.length > 0 || out === z.NEVER || out instanceof Promise) return INVALID;
    return out;
  };
}

function compileArray(def: Def): Check {
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  for (const check of def.checks ?? []) {
    const { check: kind, minimum, maximum } = check._zod.def;
    if (kind === 'min_length' && minimum !== undefined) min = Math.max(min, minimum);
    else if (kind === 'max_length' && maximum !== undefined) max = Math.min(max, maximum);
    else throw new Error(`compileSchema: an array check ${kind} is not supported`);
  }
  const element = compile(def.element as z.ZodType);
  return (value) => {
    if (!Array.isArray(value) || value.length < min || value.length > max) return INVALID;
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = element(value[i]);
      if (item === INVALID) return INVALID;
      out[i] = item;
    }
    return out;
  };
}

function compileObject(def: Def): Check {
  noChecks(def);
  const catchall = def.catchall as z.ZodType | undefined;
  const strict = catchall !== undefined;
  if (strict && catchall._zod.def.type !== 'never')
    throw new Error('compileSchema: a catchall other than strict is not supported');
  const shape = def.shape as Record<string, z.ZodType>;
  const keys = Object.keys(shape);
  if (keys.includes('__proto__')) throw new Error('compileSchema: a __proto__ field is not supported');
  const known = new Set(keys);
  const optional = keys.map((key) => (shape[key]!._zod.def as unknown as Def).type === 'optional');
  const fields = keys.map((key, i) => {
    const field = shape[key]!;
    return compile(optional[i] ? ((field._zod.def as unknown as Def).innerType as z.ZodType) : field);
  });
  return (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return INVALID;
    const input = value as Record<string, unknown>;
    if (strict) for (const key in input) if (!known.has(key)) return INVALID;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (!(key in input)) {
        if (optional[i]) continue;
        return INVALID;
      }
      const field = input[key];
      // An explicit undefined (never from JSON): zod's own answer decides.
      if (field === undefined) return INVALID;
      const parsed = fields[i]!(field);
      if (parsed === INVALID) return INVALID;
      out[key] = parsed;
    }
    return out;
  };
}

function noChecks(def: Def): void {
  if (def.checks !== undefined && def.checks.length > 0)
    throw new Error(`compileSchema: checks on a ${def.type} schema are not supported`);
}
