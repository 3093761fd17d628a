/** The head every dashboard page shares, its Content-Security-Policy, and HTML escaping. */
import type { DashboardAssets } from './assets.js';

/** Only this origin, for everything; no frames, no base tag, forms post only here. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function head(title: string, assets: DashboardAssets, withCharts: boolean): string {
  const styles = withCharts
    ? `<link rel="stylesheet" href="${assets.chartStyle.path}"><link rel="stylesheet" href="${assets.style.path}"><link rel="stylesheet" href="${assets.transfersStyle.path}">`
    : `<link rel="stylesheet" href="${assets.style.path}">`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title><link rel="icon" href="data:,">${styles}</head>`;
}
