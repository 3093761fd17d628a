// Turnpike dashboard: the transfer search and the newest transfers, on the admin's page and on
// a project's. Reads /dashboard/api/transfers[/search]; the server limits both to the session's
// scope. No framework; everything is written with textContent.
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $('transfer-search');
  if (!form) return;
  const message = $('transfer-message');
  const results = $('transfer-results');
  const recent = $('recent-transfers');
  const withProject = recent.querySelector('thead th:nth-child(2)').textContent === 'project';
  const MATCHED_BY = {
    transferId: 'transfer id',
    requestId: 'request id',
    txHash: 'transaction hash',
    idempotencyKey: 'idempotency key',
  };
  const time = (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  const el = (tag, text, className) => {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  };

  async function read(url) {
    const res = await fetch(url, { headers: { accept: 'application/json' } });
    const body = await res.json().catch(() => null);
    if (res.ok) return { body };
    const error = body?.error;
    return { code: error?.data?.code ?? `HTTP ${res.status}`, text: error?.message ?? res.statusText };
  }

  function say(text, bad) {
    message.textContent = text;
    message.className = bad ? 'message bad' : 'message';
  }

  function explain(answer) {
    if (answer.code === 'ERR_DASHBOARD_RELAYER_OFF') return 'The relayer is off on this gateway.';
    if (answer.code === 'ERR_DASHBOARD_UNAUTHORIZED') return 'The session ended: sign in again.';
    return `${answer.code}: ${answer.text}`;
  }

  function card(t) {
    const box = el('article', undefined, 'transfer');
    box.setAttribute('data-transfer', t.id);
    box.setAttribute('data-state', t.state);
    const title = el('h3');
    title.append(el('span', t.id, 'mono'), el('span', t.state, `state ${t.state}`));
    box.appendChild(title);
    const facts = el('p', undefined, 'facts');
    const parts = [`${t.amount} of ${t.token} to ${t.to}`, `request ${t.requestId}`];
    if (t.projectId !== null && withProject) parts.push(`project ${t.projectId}`);
    if (t.txHash) parts.push(`tx ${t.txHash}`);
    facts.textContent = parts.join(' · ');
    box.appendChild(facts);
    const list = el('ol', undefined, 'timeline');
    for (const step of t.timeline) {
      const item = el('li', undefined, `step ${step.step}`);
      item.setAttribute('data-step', step.step);
      item.append(
        el('span', step.step, 'what'),
        el('time', time(step.at)),
        el('span', step.detail, 'detail'),
      );
      list.appendChild(item);
    }
    box.appendChild(list);
    return box;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const q = $('transfer-query').value.trim();
    if (q === '') return;
    say('searching…', false);
    const answer = await read(`/dashboard/api/transfers/search?q=${encodeURIComponent(q)}`);
    results.replaceChildren();
    if (answer.body === undefined) return say(explain(answer), true);
    const found = answer.body.transfers;
    const by = MATCHED_BY[answer.body.matchedBy] ?? answer.body.matchedBy;
    say(`${found.length} transfer${found.length === 1 ? '' : 's'} by ${by}`, false);
    for (const t of found) results.appendChild(card(t));
  });

  async function refresh() {
    const answer = await read('/dashboard/api/transfers?limit=10');
    const body = el('tbody');
    if (answer.body === undefined) {
      const row = el('tr');
      const cell = el('td', explain(answer));
      cell.colSpan = 6;
      row.appendChild(cell);
      body.appendChild(row);
    } else
      for (const t of answer.body.transfers) {
        const row = el('tr');
        row.setAttribute('data-transfer', t.id);
        const cells = [
          t.id,
          ...(withProject ? [t.projectId ?? '–'] : []),
          t.state,
          t.to,
          t.amount,
          time(t.createdAt),
        ];
        for (const text of cells) row.appendChild(el('td', text));
        body.appendChild(row);
      }
    recent.querySelector('tbody').replaceWith(body);
  }
  // With the relayer off there is nothing to read: say so once instead of asking every 5 s.
  read('/dashboard/api/session').then((answer) => {
    if (answer.body?.relayer === false) {
      say('The relayer is off on this gateway.', false);
      form.querySelector('button').disabled = true;
      return;
    }
    refresh();
    setInterval(refresh, 5000);
  });
})();
