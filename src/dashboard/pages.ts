/**
 * The dashboard's two HTML pages: the sign-in form and the dashboard itself. No inline script
 * or style (the Content-Security-Policy allows only files from this origin); the page's script
 * fills in everything it shows from the event stream.
 */
import type { DashboardAssets } from './assets.js';
import { escapeHtml, head } from './page-head.js';
import { transfersSection } from './project-page.js';

export function signInPage(assets: DashboardAssets, error?: string, code?: string): string {
  const data = code === undefined ? '' : ` data-code="${escapeHtml(code)}"`;
  const message =
    error === undefined
      ? ''
      : `<p class="error" role="alert" id="sign-in-error"${data}>${escapeHtml(error)}</p>`;
  return `${head('Turnpike · sign in', assets, false)}<body class="sign-in"><main><h1>Turnpike</h1>
<form method="post" action="/dashboard/sign-in"><label for="token">Admin token or project API key</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button></form>${message}</main></body></html>`;
}

export function dashboardPage(assets: DashboardAssets): string {
  return `${head('Turnpike · dashboard', assets, true)}<body><header><h1>Turnpike</h1>
<span id="status" class="status">connecting…</span>
<form method="post" action="/dashboard/sign-out"><button type="submit" id="sign-out">Sign out</button></form></header>
<main>
<section class="tiles">
<div class="tile"><span class="label">requests/s</span><span class="value" id="rps">–</span></div>
<div class="tile"><span class="label">p50 ms</span><span class="value" id="p50">–</span></div>
<div class="tile"><span class="label">p99 ms</span><span class="value" id="p99">–</span></div>
<div class="tile"><span class="label">errors/s</span><span class="value" id="errors">–</span></div>
<div class="tile"><span class="label">cache hit ratio</span><span class="value" id="cache-hit">–</span></div>
<div class="tile"><span class="label">rate-limited/s</span><span class="value" id="rate-limited">–</span></div>
</section>
<section class="charts"><div class="chart"><h2>Traffic, requests/s (last hour)</h2><div id="chart-traffic"></div></div>
<div class="chart"><h2>Latency, ms</h2><div id="chart-latency"></div></div></section>
${panelSections.time}
<section><h2>Upstreams</h2><table id="upstreams"><thead><tr><th>network</th><th>upstream</th><th>health</th><th>breaker</th><th>head</th><th>lag</th><th>in flight</th><th>share</th><th>latency ms</th><th>error rate</th><th>retries/s</th><th>hedges/s</th></tr></thead><tbody></tbody></table></section>
<section class="split">
<div><h2>By network, requests/s</h2><table id="by-network"><tbody></tbody></table></div>
<div><h2>By method, requests/s</h2><table id="by-method"><tbody></tbody></table></div>
<div><h2>By status, requests/s</h2><table id="by-status"><tbody></tbody></table></div>
</section>
${panelSections.failover}
<section class="split">
<div><h2>Cache</h2><table id="cache"><tbody></tbody></table><h2>Reorgs</h2><table id="reorgs"><tbody></tbody></table></div>
<div><h2>Relayer</h2><table id="relayer"><tbody></tbody></table></div>
<div><h2>Processes</h2><table id="workers"><thead><tr><th>worker</th><th>event loop</th><th>delay p99 ms</th><th>heap MB</th><th>RSS MB</th></tr></thead><tbody></tbody></table></div>
</section>
${panelSections.tenancy}
${panelSections.relayer}
${transfersSection(true)}
</main>
<script src="${assets.chartScript.path}"></script><script src="${assets.panelScript.path}"></script><script src="${assets.script.path}"></script><script src="${assets.transfersScript.path}"></script></body></html>`;
}

const table = (id: string, head: string[]) =>
  `<table id="${id}"><thead><tr>${head.map((name) => `<th>${name}</th>`).join('')}</tr></thead><tbody></tbody></table>`;

/** The sections panels.js fills in. */
const panelSections = {
  time: `<section class="charts"><div class="chart"><h2>Where the time goes, ms per request (stacked)</h2><div id="chart-stages"></div></div>
<div class="chart"><h2>This second: <span id="stage-total">–</span> ms per request</h2><div id="stage-bar" class="stage-bar"></div>${table('stages', ['stage', 'ms', 'share'])}</div></section>`,
  failover: `<section><h2>Retries and hedges, per second</h2>${table('failover', ['network', 'retries/s', 'hedges/s', 'hedges won/s'])}</section>`,
  tenancy: `<section class="split">
<div><h2>Top projects</h2>${table('top-projects', ['project', 'requests/s', 'CU/s', 'credits left'])}</div>
<div><h2>Top keys</h2>${table('top-keys', ['key', 'project', 'requests/s', 'CU/s', 'rate-limited/s'])}</div>
<div><h2>Fewest credits left</h2>${table('lowest-credits', ['project', 'credits left'])}</div></section>`,
  relayer: `<section class="split">
<div><h2>Relayer batches and failures</h2><table id="relayer-details"><tbody></tbody></table></div>
<div><h2>Relayer signing keys</h2>${table('relayer-keys', ['key', 'in flight', 'next nonce'])}</div></section>`,
};
