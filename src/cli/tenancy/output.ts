/**
 * What the admin commands print: aligned tables and `label: value` lists for people, or one
 * JSON document on stdout with `--json` for scripts.
 */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to their widest cell; numbers (`align: 'right'`) line up on their last digit. */
export function printTable(
  columns: readonly { title: string; align?: 'right' }[],
  rows: readonly (readonly string[])[],
): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const widths = columns.map((column, i) =>
    Math.max(column.title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i] ?? 0;
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const text = [line(columns.map((column) => column.title)), ...rows.map(line)].join('\n');
  process.stdout.write(`${text}\n`);
}

/** `label  value` pairs with the values aligned. */
export function printFields(fields: readonly (readonly [string, string])[]): void {
  const width = Math.max(...fields.map(([label]) => label.length));
  process.stdout.write(fields.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`).join('\n'));
  process.stdout.write('\n');
}

/** UTC to the second, as usage days are UTC too: `2025-03-01 14:02:07Z`. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `1,000,000`: digits grouped so big counts read at a glance (locale-independent). */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}
