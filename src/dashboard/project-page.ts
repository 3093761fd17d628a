/**
 * The page a project's API key opens (the project view), and the transfers section it shares
 * with the admin's page. Like pages.ts: no inline script or style; project.js and transfers.js
 * fill everything in from the scoped API (scoped-api.ts) with textContent.
 */
import type { DashboardAssets } from './assets.js';
import { head } from './page-head.js';

/** Transfer search and the newest transfers; `allProjects` adds a project column (the admin). */
export function transfersSection(allProjects: boolean): string {
  const project = allProjects ? '<th>project</th>' : '';
  return `<section id="transfers-panel"><h2>Transfers (times in UTC)</h2>
<form id="transfer-search" class="search"><label for="transfer-query">Find a transfer by id, idempotency key or transaction hash</label>
<input id="transfer-query" name="q" type="search" maxlength="256" required autocomplete="off" spellcheck="false"><button type="submit">Find</button></form>
<p id="transfer-message" class="message" role="status"></p>
<div id="transfer-results"></div>
<h3>Newest</h3><table id="recent-transfers"><thead><tr><th>transfer</th>${project}<th>state</th><th>to</th><th>amount</th><th>accepted (UTC)</th></tr></thead><tbody></tbody></table>
</section>`;
}

export function projectPage(assets: DashboardAssets): string {
  return `${head('Turnpike · project', assets, true)}<body class="project-view"><header><h1>Turnpike</h1>
<span id="project-name" class="status">project</span>
<form method="post" action="/dashboard/sign-out"><button type="submit" id="sign-out">Sign out</button></form></header>
<main>
<section class="tiles">
<div class="tile"><span class="label">requests today</span><span class="value" id="today-requests">–</span></div>
<div class="tile"><span class="label">compute units today</span><span class="value" id="today-cu">–</span></div>
<div class="tile"><span class="label">requests this month</span><span class="value" id="month-requests">–</span></div>
<div class="tile"><span class="label">compute units this month</span><span class="value" id="month-cu">–</span></div>
<div class="tile"><span class="label">credits left</span><span class="value" id="credits">–</span></div>
</section>
<section class="charts"><div class="chart"><h2>Usage per day (last 30 days, UTC)</h2><div id="chart-usage"></div></div>
<div><h2>Plan and limits</h2><table id="plan"><tbody></tbody></table></div></section>
<section class="split">
<div><h2>Today by network and method</h2><table id="today-methods"><thead><tr><th>network</th><th>method</th><th>requests</th><th>compute units</th></tr></thead><tbody></tbody></table></div>
<div><h2>Today by outcome</h2><table id="today-outcomes"><thead><tr><th>outcome</th><th>requests</th></tr></thead><tbody></tbody></table></div>
<div><h2>API keys</h2><table id="keys"><thead><tr><th>name</th><th>key</th><th>created</th><th>state</th></tr></thead><tbody></tbody></table></div>
</section>
${transfersSection(false)}
</main>
<script src="${assets.chartScript.path}"></script><script src="${assets.projectScript.path}"></script><script src="${assets.transfersScript.path}"></script></body></html>`;
}
