// Turnpike dashboard: follows /dashboard/api/stream (server-sent events) and draws what it
// gets. No framework: a few tables rebuilt from each snapshot and two uPlot charts.
/* global uPlot, EventSource */
(() => {
  const MAX_POINTS = 3600;
  const $ = (id) => document.getElementById(id);
  const fmt = (value, digits = 1) =>
    value === null || value === undefined ? '–' : Number(value).toFixed(digits).replace(/\.0+$/, '');
  const mb = (bytes) => fmt(bytes / 1048576, 1);
  const pct = (ratio) => (ratio === null || ratio === undefined ? '–' : `${fmt(ratio * 100, 1)} %`);

  // Columns of the charts: x (unix seconds), then the series.
  const traffic = [[], [], []];
  const latency = [[], [], []];
  const charts = {};

  function chart(id, series, data) {
    const el = $(id);
    const width = Math.max(300, el.clientWidth || 600);
    return new uPlot(
      {
        width,
        height: 220,
        scales: { x: { time: true } },
        series: [{}, ...series],
        axes: [{ stroke: '#9aa4b2' }, { stroke: '#9aa4b2' }],
        legend: { live: true },
      },
      data,
      el,
    );
  }

  function push(point) {
    const [t, rps, p50, p99, errors] = point;
    const x = t / 1000;
    for (const [columns, values] of [
      [traffic, [rps, errors]],
      [latency, [p50, p99]],
    ]) {
      columns[0].push(x);
      columns[1].push(values[0]);
      columns[2].push(values[1]);
      if (columns[0].length > MAX_POINTS) for (const column of columns) column.shift();
    }
  }

  function redraw() {
    if (charts.traffic === undefined) {
      charts.traffic = chart(
        'chart-traffic',
        [
          { label: 'requests/s', stroke: '#4f8cff', width: 1.5 },
          { label: 'errors/s', stroke: '#ff5d5d', width: 1.5 },
        ],
        traffic,
      );
      charts.latency = chart(
        'chart-latency',
        [
          { label: 'p50 ms', stroke: '#35c58b', width: 1.5 },
          { label: 'p99 ms', stroke: '#f0a43a', width: 1.5 },
        ],
        latency,
      );
      return;
    }
    charts.traffic.setData(traffic);
    charts.latency.setData(latency);
  }

  function rows(tbody, entries) {
    const body = tbody.tagName === 'TBODY' ? tbody : tbody.querySelector('tbody');
    const fresh = document.createElement('tbody');
    for (const cells of entries) {
      const tr = document.createElement('tr');
      for (const cell of cells) {
        const td = document.createElement('td');
        if (typeof cell === 'object' && cell !== null) {
          td.textContent = cell.text;
          if (cell.className) td.className = cell.className;
          if (cell.attr) for (const [name, value] of Object.entries(cell.attr)) tr.setAttribute(name, value);
        } else td.textContent = String(cell);
        tr.appendChild(td);
      }
      fresh.appendChild(tr);
    }
    body.replaceWith(fresh);
  }

  const pairs = (record) =>
    Object.entries(record)
      .sort((a, b) => b[1] - a[1])
      .map(([name, value]) => [name, fmt(value)]);

  function render(s) {
    $('rps').textContent = fmt(s.rps);
    $('p50').textContent = fmt(s.p50, 2);
    $('p99').textContent = fmt(s.p99, 2);
    $('errors').textContent = fmt(s.errors);
    $('cache-hit').textContent = s.cache ? pct(s.cache.hitRatio) : 'off';
    rows(
      $('upstreams'),
      s.upstreams.map((u) => [
        {
          text: u.network,
          attr: {
            'data-upstream': `${u.network}/${u.id}`,
            'data-health': u.healthy ? 'healthy' : 'unhealthy',
          },
        },
        u.id,
        { text: u.healthy ? 'healthy' : 'unhealthy', className: u.healthy ? 'ok' : 'bad' },
        { text: u.breaker, className: u.breaker === 'closed' ? '' : 'bad' },
        u.head < 0 ? '–' : u.head,
        u.lag,
        u.inflight,
        pct(u.share),
        fmt(u.latencyMs, 2),
        pct(u.errorRate),
        fmt(u.retriesPerSec),
        fmt(u.hedgesPerSec),
      ]),
    );
    rows($('by-network'), pairs(s.byNetwork));
    rows($('by-method'), pairs(s.byMethod));
    rows($('by-status'), pairs(s.byStatus));
    rows(
      $('cache'),
      s.cache
        ? [
            ['hit ratio', pct(s.cache.hitRatio)],
            ['hits/s', fmt(s.cache.hitsPerSec)],
            ['misses/s', fmt(s.cache.missesPerSec)],
            ['entries', s.cache.entries],
            ['memory MB', mb(s.cache.bytes)],
          ]
        : [['cache', 'off']],
    );
    const r = s.relayer;
    rows(
      $('relayer'),
      r
        ? [
            ['accepted/s', fmt(r.acceptedPerSec)],
            ['confirmed/s', fmt(r.confirmedPerSec)],
            ['failed/s', fmt(r.failedPerSec)],
            ...Object.entries(r.queue ?? {}).map(([state, n]) => [`queue: ${state}`, n]),
          ]
        : [['relayer', 'off']],
    );
    rows(
      $('workers'),
      s.workers.map((w) => [w.worker, pct(w.elu), fmt(w.delayP99Ms, 2), mb(w.heapBytes), mb(w.rssBytes)]),
    );
  }

  const status = $('status');
  const source = new EventSource('/dashboard/api/stream');
  source.addEventListener('open', () => {
    status.textContent = 'live';
    status.className = 'status live';
  });
  source.addEventListener('error', () => {
    status.textContent = 'reconnecting…';
    status.className = 'status';
  });
  source.addEventListener('history', (event) => {
    for (const column of [...traffic, ...latency]) column.length = 0;
    for (const point of JSON.parse(event.data).points) push(point);
    redraw();
  });
  source.addEventListener('snapshot', (event) => {
    const snapshot = JSON.parse(event.data);
    const last = traffic[0][traffic[0].length - 1];
    if (last === undefined || snapshot.t / 1000 > last) {
      push([snapshot.t, snapshot.rps, snapshot.p50, snapshot.p99, snapshot.errors]);
      redraw();
    }
    render(snapshot);
    // panels.js draws the rest from the same snapshot.
    document.dispatchEvent(new CustomEvent('turnpike:snapshot', { detail: snapshot }));
  });
  window.addEventListener('resize', () => {
    for (const name of ['traffic', 'latency']) {
      const c = charts[name];
      if (c) c.setSize({ width: Math.max(300, $(`chart-${name}`).clientWidth), height: 220 });
    }
  });
})();
