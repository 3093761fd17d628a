// Turnpike dashboard, the project view: one project's usage, limits, credits and keys, read
// from /dashboard/api/project every 5 s (the server answers only the session's own project).
// No framework; textContent only; one uPlot chart of usage per day.
/* global uPlot */
(() => {
  const $ = (id) => document.getElementById(id);
  const num = (value) => (value === null || value === undefined ? '–' : Number(value).toLocaleString('en'));
  const day = (ms) => new Date(ms).toISOString().slice(0, 10);
  let chart;

  function rows(id, entries) {
    const body = document.createElement('tbody');
    for (const cells of entries) {
      const tr = document.createElement('tr');
      for (const cell of cells) {
        const td = document.createElement('td');
        td.textContent = String(cell);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    $(id).querySelector('tbody').replaceWith(body);
  }

  // Every one of the 30 days, ending today: a day without usage is a zero, not a gap.
  function draw(days, today) {
    const byDay = new Map(days.map((d) => [d.day, d]));
    const end = Date.parse(`${today}T00:00:00Z`);
    const data = [[], [], []];
    for (let i = 29; i >= 0; i--) {
      const t = end - i * 86400000;
      const d = byDay.get(new Date(t).toISOString().slice(0, 10));
      data[0].push(t / 1000);
      data[1].push(d ? d.requests : 0);
      data[2].push(d ? d.computeUnits : 0);
    }
    if (chart) return chart.setData(data);
    const el = $('chart-usage');
    chart = new uPlot(
      {
        width: Math.max(300, el.clientWidth || 600),
        height: 220,
        scales: { x: { time: true } },
        series: [
          {},
          { label: 'requests', stroke: '#4f8cff', width: 1.5, points: { show: true } },
          { label: 'compute units', stroke: '#35c58b', width: 1.5, points: { show: true } },
        ],
        axes: [{ stroke: '#9aa4b2' }, { stroke: '#9aa4b2' }],
      },
      data,
      el,
    );
  }

  function render(o) {
    $('project-name').textContent = `${o.project.name} (${o.project.id})`;
    document.body.setAttribute('data-project', o.project.id);
    const today = o.days.find((d) => d.day === o.today.day);
    $('today-requests').textContent = num(today?.requests ?? 0);
    $('today-cu').textContent = num(today?.computeUnits ?? 0);
    $('month-requests').textContent = num(o.month.requests);
    $('month-cu').textContent = num(o.month.computeUnits);
    $('credits').textContent = o.credits === null ? 'not prepaid' : num(o.credits);
    const p = o.plan;
    const used = p.quotaUnit === 'requests' ? o.month.requests : o.month.computeUnits;
    rows('plan', [
      ['plan', p.name],
      [
        'rate limit',
        p.rateLimit
          ? `${p.rateLimit.perSecond}/s, burst ${p.rateLimit.burst}${p.ratePerMethod ? ', per method' : ''}`
          : 'none',
      ],
      [
        'monthly quota',
        p.monthlyQuota === null
          ? 'none'
          : `${num(used)} of ${num(p.monthlyQuota)} ${p.quotaUnit.replace('_', ' ')}`,
      ],
      ['networks', p.allowedNetworks === null ? 'all' : p.allowedNetworks.join(', ')],
      ['methods', p.allowedMethods === null ? 'all' : p.allowedMethods.join(', ')],
      ['denied methods', p.deniedMethods.length === 0 ? 'none' : p.deniedMethods.join(', ')],
    ]);
    rows(
      'today-methods',
      o.today.byNetworkMethod.map((r) => [r.network, r.method, num(r.requests), num(r.computeUnits)]),
    );
    rows(
      'today-outcomes',
      o.today.byOutcome.map((r) => [r.outcome, num(r.requests)]),
    );
    const now = Date.now();
    rows(
      'keys',
      o.keys.map((k) => [
        k.name || '–',
        `${k.prefix}…`,
        day(k.createdAt),
        k.revokedAt !== null && k.revokedAt <= now
          ? 'revoked'
          : k.expiresAt !== null && k.expiresAt <= now
            ? 'expired'
            : 'active',
      ]),
    );
    draw(o.days, o.today.day);
  }

  async function refresh() {
    const res = await fetch('/dashboard/api/project', { headers: { accept: 'application/json' } });
    const body = await res.json().catch(() => null);
    if (res.ok) return render(body);
    $('project-name').textContent = body?.error?.message ?? `HTTP ${res.status}`;
    $('project-name').className = 'status bad';
  }
  refresh();
  setInterval(refresh, 5000);
})();
