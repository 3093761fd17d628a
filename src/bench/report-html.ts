/** A self-contained HTML report: no scripts from anywhere, opens from disk. */
import type { BenchReport } from './report-schema.js';
import { formatSummary } from './terminal.js';

const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderHtmlReport(report: BenchReport): string {
  return `<!doctype html><meta charset="utf-8"><title>turnpike bench</title><pre>${escapeHtml(formatSummary(report))}</pre>\n`;
}
