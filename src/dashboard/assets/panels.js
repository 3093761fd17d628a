// Turnpike dashboard panels beyond traffic and health: where the time goes (the Server-Timing
// stages, stacked), retries and hedges, reorgs, tenancy's top projects and keys, the relayer's
// batches, keys and failures. Fed by dashboard.js (the `turnpike:snapshot` event); same rules:
// textContent only, no inline style (widths are set through the CSSOM, which CSP allows).
/* global uPlot */
(() => {
  const STAGES = ['read', 'parse', 'auth', 'cache', 'select', 'upstream'];
  const COLORS = ['#4f8cff', '#9b7bff', '#f0a43a', '#35c58b', '#e66fd1', '#ff7a59'];
  const MAX_POINTS = 900;
  const $ = (id) => document.getElementById(id);
  const fmt = (value, digits = 1) =>
    value === null || value === undefined ? '–' : Number(value).toFixed(digits).replace(/\.0+$/, '');
  const int = (value) =>
    value === null || value === undefined ? '–' : Math.round(value).toLocaleString('en');

  function rows(id, entries) {
    const table = $(id);
    const fresh = document.createElement('tbody');
    for (const cells of entries) {
      const tr = document.createElement('tr');
      for (const cell of cells) {
        const td = document.createElement('td');
        if (typeof cell === 'object' && cell !== null) {
          td.textContent = cell.text;
          if (cell.attr) for (const [name, value] of Object.entries(cell.attr)) tr.setAttribute(name, value);
        } else td.textContent = String(cell);
        tr.appendChild(td);
      }
      fresh.appendChild(tr);
    }
    table.querySelector('tbody').replaceWith(fresh);
  }

  // Stacked: series i is the sum of stages 0..i, drawn largest first so each fill shows its band.
  const columns = [[], ...STAGES.map(() => [])];
  let chart;
  function pushStages(t, stages) {
    columns[0].push(t / 1000);
    let sum = 0;
    STAGES.forEach((stage, i) => {
      sum += stages ? (stages[stage] ?? 0) : 0;
      columns[i + 1].push(stages ? sum : null);
    });
    if (columns[0].length > MAX_POINTS) for (const column of columns) column.shift();
  }
  function drawStages() {
    const ordered = [columns[0], ...columns.slice(1).reverse()];
    if (chart === undefined) {
      const el = $('chart-stages');
      const series = STAGES.map((stage, i) => ({
        label: stage,
        stroke: COLORS[i],
        fill: `${COLORS[i]}cc`,
        width: 1,
        // The legend shows the stage's own ms, not the running sum.
        value: (u, v, s, idx) => {
          const below = idx === null || idx === undefined ? null : u.data[s + 1]?.[idx];
          return v === null || v === undefined ? '–' : fmt(v - (below ?? 0), 3);
        },
      })).reverse();
      chart = new uPlot(
        {
          width: Math.max(300, el.clientWidth || 600),
          height: 220,
          scales: { x: { time: true } },
          series: [{}, ...series],
          axes: [{ stroke: '#9aa4b2' }, { stroke: '#9aa4b2' }],
          legend: { live: true },
        },
        ordered,
        el,
      );
      window.addEventListener('resize', () =>
        chart.setSize({ width: Math.max(300, el.clientWidth), height: 220 }),
      );
    } else chart.setData(ordered);
  }

  function renderStages(stages) {
    const total = stages ? stages.total : null;
    $('stage-total').textContent = fmt(total, 3);
    const bar = $('stage-bar');
    const spans = [];
    let shown = 0;
    for (const [i, stage] of STAGES.entries()) {
      const ms = stages?.[stage] ?? 0;
      shown += ms;
      if (!total || ms <= 0) continue;
      const span = document.createElement('span');
      span.className = `stage stage-${i}`;
      span.title = `${stage} ${fmt(ms, 3)} ms`;
      span.style.width = `${Math.min(100, (ms / total) * 100)}%`;
      spans.push(span);
    }
    bar.replaceChildren(...spans);
    const entries = STAGES.filter((stage) => stages && stage in stages).map((stage) => [
      { text: stage, attr: { 'data-stage': stage } },
      fmt(stages[stage], 3),
      total ? `${fmt((stages[stage] / total) * 100, 1)} %` : '–',
    ]);
    if (total) entries.push(['other (write, queue)', fmt(Math.max(0, total - shown), 3), '']);
    rows('stages', entries);
  }

  function render(s) {
    const p = s.panels;
    if (!p) return;
    pushStages(s.t, p.stages);
    drawStages();
    renderStages(p.stages);
    rows(
      'failover',
      p.failover.map((f) => [
        { text: f.network, attr: { 'data-network': f.network } },
        fmt(f.retriesPerSec),
        fmt(f.hedgesPerSec),
        fmt(f.hedgesWonPerSec),
      ]),
    );
    rows(
      'reorgs',
      p.reorgs
        ? [
            ['reorgs', int(p.reorgs.reorgs)],
            ['invalidated entries', int(p.reorgs.invalidated)],
            ['invalidated/s', fmt(p.reorgs.invalidatedPerSec)],
          ]
        : [['cache', 'off']],
    );
    const t = p.tenancy;
    $('rate-limited').textContent = fmt(t ? t.rateLimitedPerSec : (s.byStatus.ERR_RATE_LIMITED ?? 0));
    rows(
      'top-projects',
      t
        ? t.projects.map((row) => [
            { text: row.name, attr: { 'data-project': row.name } },
            fmt(row.requestsPerSec),
            fmt(row.computeUnitsPerSec),
            int(row.creditsLeft),
          ])
        : [['tenancy off', '', '', '']],
    );
    rows(
      'top-keys',
      t
        ? t.keys.map((row) => [
            { text: row.name, attr: { 'data-key': row.name } },
            row.project,
            fmt(row.requestsPerSec),
            fmt(row.computeUnitsPerSec),
            fmt(row.rateLimitedPerSec),
          ])
        : [['tenancy off', '', '', '', '']],
    );
    rows('lowest-credits', t ? t.lowestCredits.map((row) => [row.name, int(row.creditsLeft)]) : []);
    const r = p.relayer;
    rows(
      'relayer-details',
      r
        ? [
            [{ text: 'batches/s', attr: { 'data-detail': 'batches' } }, fmt(r.batchesPerSec)],
            [
              { text: 'transfers per batch (1 min)', attr: { 'data-detail': 'batch-size' } },
              fmt(r.meanBatchSize),
            ],
            [
              { text: 'confirmation p50 ms (1 min)', attr: { 'data-detail': 'confirm-p50' } },
              fmt(r.confirmP50Ms, 0),
            ],
            [
              { text: 'confirmation p99 ms (1 min)', attr: { 'data-detail': 'confirm-p99' } },
              fmt(r.confirmP99Ms, 0),
            ],
            ...Object.entries(r.failedByReason).map(([reason, n]) => [`failed: ${reason}`, int(n)]),
          ]
        : [['relayer', 'off']],
    );
    rows('relayer-keys', r ? r.keys.map((k) => [k.key, k.inflight, k.nonce]) : []);
  }

  document.addEventListener('turnpike:snapshot', (event) => render(event.detail));
})();
