/**
 * The request mix, compiled once: every kind's bytes, headers and checks are ready before the
 * first send, so the hot path only picks a kind and writes it. The pick is a low-discrepancy
 * sequence over the arrival's sequence number (frac(seq·φ) against cumulative weights): the
 * shares are exact over any stretch of the run, reproducible, and need no random numbers.
 */
import { compileJsonPath, type JsonPath, jsonEqual, readJsonPath } from './json-path.js';
import { type GeneratedRequest, loadRequestFunction } from './request-module.js';
import type { GenerateSpec, RequestSpec, Scenario } from './scenario-schema.js';

/** Default path of `transfer` requests. */
export const TRANSFER_PATH = '/v1/transfers';
const SEQ = '{{seq}}';
const GOLDEN = 0.618_033_988_749_894_9;

export interface RequestKind {
  readonly index: number;
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  /** Body bytes, or template parts to join with the sequence number. */
  readonly body: Buffer | undefined;
  readonly template: readonly string[] | undefined;
  /** Bodies sent in turn (`bodies` requests). */
  readonly rotation: readonly Buffer[] | undefined;
  /** Built per request by the user's module (`generate` requests), once `load()` resolved. */
  readonly generate: GenerateSpec | undefined;
  /** JSON-RPC answers: an `error` member counts as an error of kind `rpc_<code>`. */
  readonly rpc: boolean;
  readonly statuses: readonly number[] | undefined;
  readonly jsonChecks: readonly { path: JsonPath; equals: unknown }[];
  readonly existsChecks: readonly JsonPath[];
  /** The checks read the body (JSON-RPC errors, `expect.json`, `expect.exists`); else it is dropped unread. */
  readonly readsBody: boolean;
}

export interface RequestMix {
  readonly kinds: readonly RequestKind[];
  pick(seq: number): RequestKind;
  body(kind: RequestKind, seq: number): Buffer | string | undefined;
  /** Imports the modules of `generate` kinds (in each generator thread, before the first send). */
  load(): Promise<void>;
  /** Body and headers of request `seq` of a `generate` kind (its headers over the kind's). */
  generate(
    kind: RequestKind,
    seq: number,
  ): { body: string | Uint8Array | undefined; headers: Record<string, string> };
}

export function compileMix(scenario: Scenario): RequestMix {
  const target = new URL(scenario.target);
  const common: Record<string, string> = { ...lower(scenario.headers) };
  if (scenario.apiKey !== undefined) common['x-api-key'] = scenario.apiKey;
  const used = new Set<string>();
  const kinds = scenario.requests.map((spec, index) => {
    let name = spec.name ?? defaultName(spec);
    for (let n = 2; used.has(name); n++) name = `${spec.name ?? defaultName(spec)}#${n}`;
    used.add(name);
    return compileKind(spec, index, name, target, common);
  });
  const total = scenario.requests.reduce((sum, spec) => sum + spec.weight, 0);
  const cumulative: number[] = [];
  let running = 0;
  for (const spec of scenario.requests) {
    running += spec.weight / total;
    cumulative.push(running);
  }
  const last = kinds[kinds.length - 1]!;
  const turns = kinds.map(() => 0);
  const generators: (((seq: number) => GeneratedRequest) | undefined)[] = kinds.map(() => undefined);
  return {
    kinds,
    pick(seq) {
      if (kinds.length === 1) return last;
      const u = (seq * GOLDEN) % 1;
      for (let i = 0; i < cumulative.length; i++) if (u < cumulative[i]!) return kinds[i]!;
      return last;
    },
    body(kind, seq) {
      if (kind.rotation !== undefined) {
        const turn = turns[kind.index]!;
        turns[kind.index] = turn + 1;
        return kind.rotation[turn % kind.rotation.length];
      }
      if (kind.template === undefined) return kind.body;
      return kind.template.join(String(seq));
    },
    async load() {
      for (const kind of kinds)
        if (kind.generate !== undefined) generators[kind.index] = await loadRequestFunction(kind.generate);
    },
    generate(kind, seq) {
      const request = generators[kind.index];
      if (request === undefined) throw new Error(`request kind ${kind.name}: generate module not loaded`);
      const made = request(seq);
      if (typeof made === 'string' || made instanceof Uint8Array)
        return { body: made, headers: kind.headers };
      const extra = made?.headers;
      return {
        body: made?.body,
        headers: extra === undefined ? kind.headers : { ...kind.headers, ...lower(extra) },
      };
    },
  };
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function defaultName(spec: RequestSpec): string {
  if (spec.rpc) return spec.rpc.method;
  if (spec.batch) return `batch[${spec.batch.length}]`;
  if (spec.transfer) return 'transfer';
  if (spec.bodies) return 'bodies';
  if (spec.generate) return spec.generate.export === 'default' ? 'generate' : spec.generate.export;
  return `${spec.http?.method ?? 'GET'}:${spec.path ?? '/'}`;
}

function compileKind(
  spec: RequestSpec,
  index: number,
  name: string,
  target: URL,
  common: Record<string, string>,
): RequestKind {
  const headers = { ...common, ...lower(spec.headers) };
  let method = 'POST';
  let text: string | undefined;
  let path = spec.path ?? `${target.pathname}${target.search}`;
  const rpc = spec.rpc !== undefined || spec.batch !== undefined || spec.bodies !== undefined;
  if (spec.rpc) text = JSON.stringify({ jsonrpc: '2.0', id: 1, ...spec.rpc });
  else if (spec.batch)
    text = JSON.stringify(spec.batch.map((call, id) => ({ jsonrpc: '2.0', id: id + 1, ...call })));
  else if (spec.transfer) {
    text = JSON.stringify(spec.transfer.json);
    path = spec.path ?? TRANSFER_PATH;
  } else if (spec.generate) method = spec.generate.method;
  else if (spec.http) {
    method = spec.http.method;
    path = spec.path ?? '/';
    if (spec.http.json !== undefined) text = JSON.stringify(spec.http.json);
    else if (spec.http.body !== undefined) text = spec.http.body;
    if (spec.http.json === undefined && spec.http.body !== undefined)
      headers['content-type'] ??= 'text/plain';
  }
  if (text !== undefined || spec.bodies || spec.generate) headers['content-type'] ??= 'application/json';
  const template = text?.includes(SEQ) ? text.split(SEQ) : undefined;
  const expect = spec.expect;
  const jsonChecks = Object.entries(expect?.json ?? {}).map(([p, equals]) => ({
    path: compileJsonPath(p) ?? [],
    equals,
  }));
  const existsChecks = (expect?.exists ?? []).map((p) => compileJsonPath(p) ?? []);
  return {
    index,
    name,
    method,
    path,
    headers,
    body: text === undefined || template !== undefined ? undefined : Buffer.from(text),
    template,
    rotation: spec.bodies?.map((body) => Buffer.from(body)),
    generate: spec.generate,
    rpc,
    statuses: expect?.status === undefined ? undefined : [expect.status].flat(),
    jsonChecks,
    existsChecks,
    readsBody: rpc || jsonChecks.length > 0 || existsChecks.length > 0,
  };
}

/**
 * The error kind of a response, or undefined when it passed: `http_<status>`, `rpc_<code>`
 * (a JSON-RPC error, the first in a batch) or `assertion` (an `expect` check failed). The body
 * may stay bytes: a JSON-RPC answer is decoded and parsed only when it mentions `"error"`.
 */
export function checkResponse(kind: RequestKind, status: number, body: string | Buffer): string | undefined {
  const statusOk =
    kind.statuses === undefined ? status >= 200 && status < 300 : kind.statuses.includes(status);
  if (!statusOk) return `http_${status}`;
  const needsJson = kind.jsonChecks.length > 0 || kind.existsChecks.length > 0;
  if (!needsJson && !(kind.rpc && body.includes('"error"'))) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return kind.rpc ? 'rpc_invalid_json' : 'assertion';
  }
  if (kind.rpc) {
    const items = Array.isArray(parsed) ? parsed : [parsed];
    for (const item of items) {
      const error = (item as { error?: { code?: unknown } } | null)?.error;
      if (error !== undefined && error !== null)
        return `rpc_${typeof error.code === 'number' ? error.code : 'error'}`;
    }
  }
  for (const check of kind.jsonChecks)
    if (!jsonEqual(readJsonPath(parsed, check.path), check.equals)) return 'assertion';
  for (const path of kind.existsChecks) if (readJsonPath(parsed, path) === undefined) return 'assertion';
  return undefined;
}
