/**
 * ReDoS audit of every regular expression in src/: request heads, bodies, keys, URL paths,
 * admin and relayer fields, configuration, CLI flags, bench scenarios and upstream answers all
 * meet one expression or another, so all of them are checked, not a hand-picked list. The
 * TypeScript parser finds every literal (a new one is checked without anyone listing it); the
 * few expressions built at run time with `RegExp` are checked through their exported value,
 * and any other `RegExp` call fails the audit until it is added here.
 *
 * recheck's automaton checker proves an expression safe; it cannot read look-around and gives
 * up on large bounded repeats (`{1,64}`), and those fall back to its fuzzer with a fixed seed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkSync, type Diagnostics } from 'recheck';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { regexes as zodRegexes } from 'zod';
import { API_KEY_SHAPE } from '../src/tenancy/api-key-secret.js';

const SRC = new URL('../src/', import.meta.url).pathname;

interface Expression {
  /** `http/request-id.ts:4` */
  readonly where: string;
  readonly source: string;
  readonly flags: string;
}

/** Built at run time, checked through the value the module exports. */
const CONSTRUCTED: Record<string, readonly RegExp[]> = {
  'tenancy/api-key-secret.ts': [API_KEY_SHAPE],
};

/**
 * Expressions of libraries that src/ applies to request data: zod's `z.iso.date()` validates
 * the admin usage query (`from`, `to`).
 */
const LIBRARY: Record<string, RegExp> = {
  'zod z.iso.date()': zodRegexes.date,
};

/**
 * Literals proven irrelevant to untrusted input, by `file:literal`, each with the reason.
 * Empty: every expression in src/ passes. Prefer rewriting to adding an entry here.
 */
const ALLOWED: Record<string, string> = {};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')
      ? [path]
      : [];
  });
}

/** Every regular expression literal of src/, and where `RegExp` is called. */
function scan(): { literals: Expression[]; constructed: string[] } {
  const literals: Expression[] = [];
  const constructed: string[] = [];
  for (const path of sourceFiles(SRC)) {
    const file = relative(SRC, path);
    const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
    const where = (node: ts.Node) =>
      `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (ts.isRegularExpressionLiteral(node)) {
        const end = node.text.lastIndexOf('/');
        literals.push({
          where: where(node),
          source: node.text.slice(1, end),
          flags: node.text.slice(end + 1),
        });
      } else if (
        (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'RegExp'
      )
        constructed.push(file);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { literals, constructed };
}

function audit(source: string, flags: string): Diagnostics {
  const proof = checkSync(source, flags, { checker: 'automaton', timeout: 5_000 });
  if (proof.status !== 'unknown' || !['unsupported', 'timeout'].includes(proof.error.kind)) return proof;
  return checkSync(source, flags, { checker: 'fuzz', randomSeed: 0, timeout: 60_000 });
}

function verdict(expression: Expression): string {
  const result = audit(expression.source, expression.flags);
  const literal = `/${expression.source}/${expression.flags}`;
  if (result.status === 'safe') return 'safe';
  if (result.status === 'vulnerable')
    return `${expression.where} ${literal}: ${result.complexity.summary}, attack ${result.attack.pattern}`;
  return `${expression.where} ${literal}: unknown (${result.error.kind})`;
}

describe('regular expressions in src/ (ReDoS)', () => {
  const { literals, constructed } = scan();

  it('finds the literals it must check', () => {
    expect(literals.length).toBeGreaterThan(50);
    expect(literals.map((e) => e.where)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^http[/\\]request-id\.ts:\d+$/)]),
    );
  });

  it('every literal is safe (linear) for recheck', { timeout: 300_000 }, () => {
    const failures = literals
      .filter((e) => ALLOWED[`${e.where.replace(/:\d+$/, '')}:/${e.source}/${e.flags}`] === undefined)
      .map(verdict)
      .filter((v) => v !== 'safe');
    expect(failures).toEqual([]);
  });

  it('every RegExp built at run time is listed, and safe', { timeout: 60_000 }, () => {
    expect([...new Set(constructed)].sort()).toEqual(Object.keys(CONSTRUCTED).sort());
    const built = Object.entries(CONSTRUCTED).flatMap(([file, list]) =>
      list.map((re) => ({ where: file, source: re.source, flags: re.flags })),
    );
    expect(built.map(verdict).filter((v) => v !== 'safe')).toEqual([]);
  });

  it('the library expressions src/ applies to request data are safe', { timeout: 60_000 }, () => {
    const used = Object.entries(LIBRARY).map(([where, re]) => ({
      where,
      source: re.source,
      flags: re.flags,
    }));
    expect(used.map(verdict).filter((v) => v !== 'safe')).toEqual([]);
  });

  it('would have caught the expressions it replaced', { timeout: 60_000 }, () => {
    const replaced = [
      ['^Bearer[ \\t]+(.*?)[ \\t]*$', 'i'], // admin/admin-auth.ts, before authentication
      ['rate.?limit|limit exceeded|too many requests|exceeded .*(capacity|quota)|throttl', 'i'],
      ['\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\\}', 'g'],
      ['(\\/\\/[^:/@]+:)[^@]*@', ''],
    ] as const;
    for (const [source, flags] of replaced) expect(audit(source, flags).status, source).toBe('vulnerable');
  });
});
