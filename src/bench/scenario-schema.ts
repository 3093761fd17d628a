/**
 * The `turnpike bench` scenario file: target, phases, request mix, assertions, thresholds.
 * Strict like the gateway config (an unknown key is an error with its path). Durations are
 * seconds or strings with a unit (`500ms`, `10s`, `2m`); rates are requests per second.
 * Documented in docs/bench.md.
 */
import { z } from 'zod';
import { compileJsonPath } from './json-path.js';

/** Matched against the trimmed value: `\s*` on both sides of an optional unit backtracked quadratically. */
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3600 } as const;

/** Seconds from `10`, `"10s"`, `"500ms"`, `"2m"`; undefined when it does not parse. */
export function parseDurationSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 's') as keyof typeof UNIT_SECONDS;
  return Number(match[1]) * UNIT_SECONDS[unit];
}

const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration: seconds, or "500ms", "10s", "2m"' });
    return z.NEVER;
  }
  return seconds;
});

const rate = z.number().nonnegative();
const httpUrl = z.string().refine((value) => /^https?:\/\/[^\s/]+/i.test(value) && URL.canParse(value), {
  message: 'expected an http(s) URL',
});
const path = z.string().startsWith('/', 'expected a path starting with "/"');
const headers = z.record(z.string(), z.string());
const httpMethod = z.enum(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD']);

export const phaseSchema = z
  .strictObject({
    /** Unique; `warmup` is never counted in the totals, thresholds refer to phases by name. */
    name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, "_" or "-"'),
    duration: duration.refine((s) => s > 0, 'must be longer than 0'),
    /** Constant rate; or `from` and `to` for a linear ramp. */
    rate: rate.optional(),
    from: rate.optional(),
    to: rate.optional(),
  })
  .check((ctx) => {
    const phase = ctx.value;
    const ramp = phase.from !== undefined || phase.to !== undefined;
    if (phase.rate !== undefined && ramp)
      ctx.issues.push({
        code: 'custom',
        message: 'give either rate or from/to',
        input: phase,
        path: ['rate'],
      });
    else if (phase.rate === undefined && (phase.from === undefined || phase.to === undefined))
      ctx.issues.push({ code: 'custom', message: 'needs rate, or both from and to', input: phase, path: [] });
  });

const rpcCall = z.strictObject({
  method: z.string().min(1),
  params: z.unknown().default([]),
});

const jsonPath = z
  .string()
  .refine(
    (p) => compileJsonPath(p) !== undefined,
    'expected a JSON path like $.result, $[0].result or $.a["b"]',
  );

const expectSchema = z.strictObject({
  /** Accepted HTTP statuses. @default 2xx */
  status: z.union([z.number().int(), z.array(z.number().int()).min(1)]).optional(),
  /** JSON paths (`$.result`, `$[0].result`, `$.items[2].id`) and the value each must equal. */
  json: z.record(jsonPath, z.unknown()).optional(),
  /** JSON paths that must be present (any value but undefined). */
  exists: z.array(jsonPath).optional(),
});

const requestBase = {
  /** Names the request kind in the report. @default rpc method, "batch", or the HTTP method and path */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.:/-]+$/, 'expected letters, digits, "_.:/-"')
    .optional(),
  weight: z.number().positive().default(1),
  /** Path on the target; JSON-RPC kinds default to the target URL's own path. */
  path: path.optional(),
  headers: headers.default({}),
  expect: expectSchema.optional(),
};

export const requestSchema = z
  .strictObject({
    ...requestBase,
    rpc: rpcCall.optional(),
    batch: z.array(rpcCall).min(1).optional(),
    /** A relayer transfer: POST of `json` (default path /v1/transfers), `{{seq}}` expanded. */
    transfer: z.strictObject({ json: z.unknown() }).optional(),
    /** Raw JSON-RPC bodies (single or batch), POSTed as is, in rotation: replayed traffic. */
    bodies: z.array(z.string().min(1)).min(1).optional(),
    http: z
      .strictObject({
        method: httpMethod.default('GET'),
        json: z.unknown().optional(),
        body: z.string().optional(),
      })
      .optional(),
    /**
     * Every request built by your code: the module's export is called once per generator thread
     * with `options` and returns a function of the sequence number that gives the body, or
     * `{ body, headers }`. For bodies no template can express (unique recipients, signatures).
     */
    generate: z
      .strictObject({
        /** A path (relative to the scenario file, or from the API to the working directory) or a file: URL. */
        module: z.string().min(1),
        /** @default "default" */
        export: z.string().min(1).default('default'),
        /** Passed to the export as is (structured-cloneable: it crosses to the generator threads). */
        options: z.unknown().optional(),
        /** @default "POST" */
        method: httpMethod.default('POST'),
      })
      .optional(),
  })
  .check((ctx) => {
    const kinds = ['rpc', 'batch', 'transfer', 'http', 'bodies', 'generate'].filter(
      (kind) => ctx.value[kind as 'rpc'] !== undefined,
    ).length;
    if (kinds !== 1)
      ctx.issues.push({
        code: 'custom',
        message: 'give exactly one of rpc, batch, transfer, http, bodies, generate',
        input: ctx.value,
        path: [],
      });
  });

export const scenarioSchema = z
  .strictObject({
    /** Base URL; JSON-RPC requests go to its path unless they give their own. */
    target: httpUrl,
    headers: headers.default({}),
    /** Sent as the `x-api-key` header of every request. */
    apiKey: z.string().min(1).optional(),
    phases: z.array(phaseSchema).min(1),
    requests: z.array(requestSchema).min(1),
    /** `uniform`: evenly spaced sends; `poisson`: exponential gaps at the same mean rate. */
    arrivals: z.enum(['uniform', 'poisson']).default('uniform'),
    /** Seeds Poisson gaps and nothing else; the same seed gives the same schedule. */
    seed: z.number().int().nonnegative().default(1),
    /** Keep-alive sockets, shared out over the generator workers. */
    connections: z.number().int().positive().default(64),
    /** Generator threads; each sends a disjoint slice of the schedule. */
    workers: z.number().int().positive().max(64).default(1),
    inflight: z
      .strictObject({
        /** Requests on a socket and not yet answered, over all workers. @default connections */
        max: z.number().int().positive().optional(),
        /** At the bound: `queue` (wait, latency still from the intended time) or `drop` (counted). */
        policy: z.enum(['queue', 'drop']).default('queue'),
      })
      .prefault({}),
    timeout: duration.default(10),
    /** The gateway's Prometheus endpoint, scraped before, during and after; `false` to skip. */
    metrics: z
      .union([
        z.literal(false),
        z.strictObject({
          /** Absolute URL, or a path on the target's origin. */
          url: z.string().default('/metrics'),
          interval: duration.default(1),
        }),
      ])
      .default({ url: '/metrics', interval: 1 }),
    /** Pass/fail rules, e.g. `sustain.p99 < 50ms`, `errors < 0.1%`, `achieved >= 0.97 * target`. */
    thresholds: z.array(z.string()).default([]),
  })
  .check((ctx) => {
    const seen = new Set<string>();
    ctx.value.phases.forEach((phase, index) => {
      if (seen.has(phase.name))
        ctx.issues.push({
          code: 'custom',
          message: `duplicate phase name "${phase.name}"`,
          input: phase.name,
          path: ['phases', index, 'name'],
        });
      seen.add(phase.name);
    });
  });

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type PhaseSpec = z.output<typeof phaseSchema>;
export type RequestSpec = z.output<typeof requestSchema>;
export type RpcCall = z.output<typeof rpcCall>;
export type GenerateSpec = NonNullable<RequestSpec['generate']>;
