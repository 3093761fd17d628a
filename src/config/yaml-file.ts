/**
 * Reading a YAML document for validation (the gateway config, bench scenarios): a file that
 * cannot be read or parsed becomes one issue at path `(file)`, never an exception.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

export type YamlRead =
  | { readonly ok: true; readonly raw: unknown }
  | { readonly ok: false; readonly issues: { path: string; message: string }[] };

export function parseYamlText(text: string): YamlRead {
  try {
    return { ok: true, raw: parseYaml(text) };
  } catch (err) {
    return { ok: false, issues: [{ path: '(file)', message: `invalid YAML: ${(err as Error).message}` }] };
  }
}

export async function readYamlFile(file: string): Promise<YamlRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return {
      ok: false,
      issues: [{ path: '(file)', message: `cannot read ${file}: ${(err as Error).message}` }],
    };
  }
  return parseYamlText(text);
}
