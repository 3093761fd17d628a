/**
 * `generate` request kinds: the user's ES module builds every request. Its export is a factory,
 * called once per generator thread with the scenario's `options`, that returns the function of
 * the sequence number called for each arrival (so setup work happens once, not per request).
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GenerateSpec } from './scenario-schema.js';

/** What the per-request function may return: the body, or the body and extra headers. */
export type GeneratedRequest =
  | string
  | Uint8Array
  | { body?: string | Uint8Array | undefined; headers?: Record<string, string> | undefined };

export type RequestFactory = (options: unknown) => (seq: number) => GeneratedRequest;

/** The module's URL: file: URLs as they are, paths against `base` (a directory). */
export function moduleUrl(module: string, base: string = process.cwd()): string {
  if (/^file:/i.test(module)) return module;
  return pathToFileURL(isAbsolute(module) ? module : resolve(base, module)).href;
}

/** Imports the module and calls its factory; a missing or wrong export is an error naming it. */
export async function loadRequestFunction(spec: GenerateSpec): Promise<(seq: number) => GeneratedRequest> {
  const url = moduleUrl(spec.module);
  const loaded = (await import(url)) as Record<string, unknown>;
  const factory = loaded[spec.export];
  if (typeof factory !== 'function')
    throw new Error(`generate: ${url} has no function export "${spec.export}"`);
  const request = (factory as RequestFactory)(spec.options);
  if (typeof request !== 'function')
    throw new Error(`generate: ${url} export "${spec.export}" must return a function of the sequence number`);
  return request;
}
