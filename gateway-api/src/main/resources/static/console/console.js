// The operator console: the admin API with the admin key (kept in sessionStorage), refreshed while open.
import { api, el, clear, when, badge, showProblem, showNotice, fetchEvents, confirmDialog, sessionKey } from '/assets/ledgerflow.js';

const $ = (id) => document.getElementById(id);
const keyStore = sessionKey('ledgerflow.adminKey');
const call = (path, options = {}) => api(path, { ...options, key: keyStore.get() });
const state = { timer: null, tail: null, paused: false, endpoint: null, samples: [], chart: null, lastCount: null };

function fail(error) {
  showProblem($('problem'), error);
  if (error && error.status === 401) signOut('The admin key was not accepted. Sign in again.');
}

async function signIn(event) {
  event.preventDefault();
  const key = $('admin-key').value.trim();
  try { await api('/admin/projections', { key }); } catch (e) { showProblem($('problem'), e); return; }
  keyStore.set(key);
  $('admin-key').value = '';
  start();
}

function signOut(message) {
  keyStore.clear();
  stopTimers();
  for (const page of document.querySelectorAll('[data-page]')) page.hidden = true;
  $('nav').hidden = true; $('logout').hidden = true; $('login').hidden = false;
  showProblem($('problem'), message ? new Error(message) : null);
}

function stopTimers() {
  clearInterval(state.timer);
  state.timer = null;
  if (state.tail) { state.tail.abort(); state.tail = null; }
}

function every(ms, fn) {
  clearInterval(state.timer);
  fn();
  state.timer = setInterval(fn, ms);
}

function route() {
  if (!keyStore.get()) return;
  const page = (location.hash || '#projections').slice(1);
  for (const section of document.querySelectorAll('[data-page]')) section.hidden = section.id !== page;
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === `#${page}`) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  clearInterval(state.timer);
  if (page !== 'events' && state.tail) { state.tail.abort(); state.tail = null; }
  showProblem($('problem'), null);
  if (page === 'projections') every(2000, loadProjections);
  else if (page === 'webhooks') every(3000, loadQueue);
  else if (page === 'invariants') { if (!$('invariants-result').childElementCount) runInvariants(); }
  else if (page === 'events') { if (!state.tail) startTail(); }
  else if (page === 'throughput') every(5000, sampleMetrics);
}

function start() {
  $('login').hidden = true; $('nav').hidden = false; $('logout').hidden = false;
  route();
}

// ---- projections ------------------------------------------------------------------------------------------------

async function loadProjections() {
  try {
    const list = await call('/admin/projections');
    clear($('projections-table').tBodies[0], list.data.map((p) => {
      const rebuild = p.rebuild;
      // A rebuild's progress: events applied to the new generation out of those applied plus its lag.
      const progress = rebuild
        ? el('span', {}, el('progress', { max: Math.max(1, rebuild.events_applied + ((rebuild.lag || {}).events || 0)),
          value: rebuild.events_applied, 'aria-label': `Rebuild of ${p.name}` }),
          ` ${rebuild.status} · generation ${rebuild.generation} · ${rebuild.events_applied} events, ${(rebuild.lag || {}).events || 0} to go`)
        : null;
      return el('tr', {},
        el('td', { class: 'mono' }, p.name), el('td', {}, p.kind), el('td', {}, badge(p.status)),
        el('td', { class: 'num' }, p.position), el('td', { class: 'num' }, p.lag_events), el('td', { class: 'num' }, `${p.lag_ms}${p.lag_estimated ? '~' : ''}`),
        el('td', {}, p.last_error || ''),
        el('td', {}, progress || (p.kind === 'projection'
          ? el('button', { class: 'secondary', onclick: () => rebuildProjection(p.name) }, 'Rebuild') : '')));
    }));
  } catch (e) { fail(e); }
}

async function rebuildProjection(name) {
  if (!await confirmDialog(`Rebuild ${name}?`, 'It is rebuilt from position zero into new tables, then swapped in; readers keep the old tables meanwhile.', 'Rebuild')) return;
  try {
    const r = await call(`/admin/projections/${encodeURIComponent(name)}/rebuild`, { method: 'POST' });
    showNotice($('problem'), r.already_running ? `${name} is rebuilding already.` : `Rebuilding ${name} (generation ${r.generation}).`);
    loadProjections();
  } catch (e) { fail(e); }
}

// ---- webhook queue ----------------------------------------------------------------------------------------------

function age(ms) {
  if (!ms) return '–';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7200000) return `${Math.round(ms / 60000)} min`;
  return `${Math.round(ms / 3600000)} h`;
}

async function loadQueue() {
  try {
    const [queue, endpoints] = await Promise.all([call('/admin/webhooks/queue'), call('/admin/webhooks/endpoints')]);
    clear($('queue-summary'),
      el('dt', {}, 'Redis'), el('dd', {}, queue.redis_available ? `stream ${queue.stream}: ${queue.stream_length ?? '?'} entries, ${queue.in_flight ?? '?'} in flight` : 'unavailable'),
      el('dt', {}, 'Pending'), el('dd', {}, queue.pending), el('dt', {}, 'Scheduled retries'), el('dd', {}, queue.scheduled_retries),
      el('dt', {}, 'Dead'), el('dd', {}, queue.dead_letters), el('dt', {}, 'Due now'), el('dd', {}, queue.due),
      el('dt', {}, 'Oldest due'), el('dd', {}, age(queue.oldest_pending_age_ms)));
    clear($('queue-table').tBodies[0], endpoints.data.map((e) => el('tr', { dataset: { id: e.id } },
      el('td', { class: 'mono' }, e.id), el('td', { class: 'mono' }, e.merchant), el('td', { class: 'wrap' }, e.url), el('td', {}, badge(e.status)),
      el('td', { class: 'num' }, e.pending), el('td', { class: 'num' }, e.scheduled), el('td', { class: 'num dead' }, e.dead),
      el('td', { class: 'num' }, age(e.oldest_due_age_ms)),
      el('td', {}, el('button', { class: 'secondary', onclick: () => openEndpoint(e) }, 'Deliveries')))));
    if (state.endpoint) loadDeliveries();
  } catch (e) { fail(e); }
}

function openEndpoint(e) {
  state.endpoint = e;
  $('endpoint-deliveries').hidden = false;
  $('endpoint-deliveries-title').textContent = `Deliveries to ${e.url}`;
  clear($('attempts'));
  loadDeliveries();
}

async function loadDeliveries() {
  const e = state.endpoint;
  const status = $('delivery-status').value;
  try {
    const list = await call(`/admin/webhooks/endpoints/${e.id}/deliveries?limit=50${status ? `&status=${status}` : ''}`);
    clear($('deliveries-table').tBodies[0], list.data.map((d) => el('tr', { dataset: { id: d.id } },
      el('td', { class: 'mono' }, d.id), el('td', {}, `${d.event_type} #${d.event_position}`), el('td', {}, badge(d.status)),
      el('td', { class: 'num' }, d.attempts), el('td', {}, d.last_status_code ? String(d.last_status_code) : (d.last_error || '')),
      el('td', {}, when(d.next_attempt_at)),
      el('td', {}, el('button', { class: 'secondary', onclick: () => showAttempts(d) }, 'Attempts'), ' ',
        (d.status === 'dead' || d.status === 'succeeded') && el('button', { class: 'retry', onclick: () => retryOne(d) }, 'Retry')))));
  } catch (err) { fail(err); }
}

async function showAttempts(d) {
  try {
    const list = await call(`/admin/webhooks/deliveries/${d.id}/attempts`);
    clear($('attempts'), el('h3', {}, `Attempts of ${d.id}`),
      el('div', { class: 'table-wrap' }, el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, '#'), el('th', {}, 'Started'),
        el('th', {}, 'Answer'), el('th', { class: 'num' }, 'Duration'), el('th', {}, 'Error'))),
      el('tbody', {}, list.data.map((a) => el('tr', {}, el('td', {}, a.attempt), el('td', {}, when(a.started_at)),
        el('td', {}, a.status_code ?? 'none'), el('td', { class: 'num' }, `${a.duration_ms} ms`), el('td', {}, a.error || '')))))));
  } catch (e) { fail(e); }
}

async function retryOne(d) {
  try {
    await call(`/admin/webhooks/deliveries/${d.id}/retry`, { method: 'POST' });
    showNotice($('problem'), `Delivery ${d.id} is queued again.`);
    loadQueue();
  } catch (e) { fail(e); }
}

async function retryAll() {
  const e = state.endpoint;
  if (!e) return;
  if (!await confirmDialog('Retry all dead deliveries?', `Every dead delivery to ${e.url} is queued again, due now.`, 'Retry all')) return;
  try {
    const r = await call(`/admin/webhooks/endpoints/${e.id}/retry-dead`, { method: 'POST' });
    showNotice($('problem'), `${r.retried} deliveries queued again.`);
    loadQueue();
  } catch (err) { fail(err); }
}

async function replay(event) {
  event.preventDefault();
  const e = state.endpoint;
  const after = Number($('replay-after').value.trim());
  if (!e || !Number.isInteger(after) || after < 0) { fail(new Error('Enter a global position: 0 or more.')); return; }
  if (!await confirmDialog('Replay?', `Every selected event after position ${after} is sent to ${e.url} again.`, 'Replay')) return;
  try {
    const r = await call(`/admin/webhooks/endpoints/${e.id}/replay`, { method: 'POST', body: { after_position: after } });
    showNotice($('problem'), `${r.deliveries} deliveries queued for ${e.url}.`);
    loadQueue();
  } catch (err) { fail(err); }
}

// ---- invariants -------------------------------------------------------------------------------------------------

function render(value) {
  if (value === null || value === undefined) return el('span', {}, '–');
  if (Array.isArray(value)) return el('ul', {}, value.map((v) => el('li', {}, render(v))));
  if (typeof value === 'object') {
    return el('dl', { class: 'kv' }, Object.entries(value).map(([k, v]) => [el('dt', {}, k), el('dd', {},
      typeof v === 'boolean' ? badge(v ? 'ok' : 'bad') : render(v))]));
  }
  return el('span', {}, String(value));
}

async function runInvariants() {
  $('run-invariants').disabled = true;
  $('invariants-at').textContent = 'running…';
  try {
    const report = await call('/admin/invariants');
    clear($('invariants-result'),
      el('div', { class: report.ok ? 'notice' : 'problem', role: 'status' }, report.ok
        ? 'All invariants hold: every currency sums to zero and the projections match a replay of the log.'
        : 'An invariant is broken: see the details below.'),
      render(report));
    $('invariants-at').textContent = `last run ${new Date().toLocaleTimeString()}`;
  } catch (e) { fail(e); $('invariants-at').textContent = ''; }
  $('run-invariants').disabled = false;
}

// ---- event log --------------------------------------------------------------------------------------------------

function startTail(event) {
  if (event) event.preventDefault();
  if (state.tail) state.tail.abort();
  const controller = new AbortController();
  state.tail = controller;
  const q = new URLSearchParams();
  if ($('tail-type').value.trim()) q.set('type', $('tail-type').value.trim());
  if ($('tail-stream').value.trim()) q.set('stream', $('tail-stream').value.trim());
  const log = $('tail');
  fetchEvents(`/admin/events/stream?${q}`, {
    key: keyStore.get(), signal: controller.signal,
    onState: (s, error) => { $('tail-state').textContent = s === 'live' ? 'Live: new events appear on top.' : s; if (error) fail(error); },
    onEvent: (m) => {
      if (state.paused) return;
      let message;
      try { message = JSON.parse(m.data); } catch { return; }
      const e = message.event || {};
      const stream = message.stream;
      log.prepend(el('div', {}, `#${e.position} ${when(e.created_at)} ${e.type} `,
        el('a', { href: '#events', onclick: (click) => { click.preventDefault(); history(stream); } }, stream),
        message.merchant ? ` · ${message.merchant}` : ''));
      while (log.childElementCount > 300) log.lastElementChild.remove();
    },
  });
}

async function history(stream) {
  $('history-stream').value = stream;
  try {
    const h = await call(`/admin/streams/${encodeURIComponent(stream)}/events`);
    clear($('history'), el('ol', { class: 'mono' }, h.data.map((e) => el('li', {}, `#${e.position} ${when(e.created_at)} ${e.type} `,
      el('details', {}, el('summary', {}, 'data'), el('pre', {}, JSON.stringify(e.data, null, 2)))))));
  } catch (e) { fail(e); }
}

// ---- throughput -------------------------------------------------------------------------------------------------

function metric(text, name, labels) {
  let total = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!labels.every((l) => line.includes(l))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isNaN(value)) total = (total || 0) + value;
  }
  return total;
}

async function sampleMetrics() {
  try {
    const response = await api('/actuator/prometheus', { raw: true, headers: { Accept: 'text/plain' } });
    const text = await response.text();
    const labels = ['method="POST"', 'uri="/v1/payments"'];
    const count = metric(text, 'http_server_requests_seconds_count', labels) || 0;
    const p99 = metric(text, 'http_server_requests_seconds', [...labels, 'quantile="0.99"', 'status="202"']);
    const now = Date.now() / 1000;
    const previous = state.lastCount;
    state.lastCount = { count, at: now };
    if (previous) {
      state.samples.push([now, (count - previous.count) / (now - previous.at), p99 === null ? null : p99 * 1000]);
      if (state.samples.length > 120) state.samples.shift();
    }
    const last = state.samples[state.samples.length - 1];
    clear($('throughput-now'), el('dt', {}, 'Payments created (total)'), el('dd', {}, count),
      el('dt', {}, 'Payments/s'), el('dd', {}, last ? last[1].toFixed(1) : '…'),
      el('dt', {}, 'p99 POST /v1/payments'), el('dd', {}, last && last[2] !== null ? `${last[2].toFixed(1)} ms` : '–'));
    drawThroughput();
  } catch (e) { fail(e); }
}

function drawThroughput() {
  const target = $('throughput-chart');
  if (!window.uPlot || state.samples.length < 1) return;
  const data = [state.samples.map((s) => s[0]), state.samples.map((s) => s[1]), state.samples.map((s) => s[2])];
  if (state.chart) { state.chart.setData(data); return; }
  clear(target);
  state.chart = new window.uPlot({ width: Math.max(280, target.clientWidth || 600), height: 240,
    series: [{}, { label: 'payments/s', stroke: '#2353d6', width: 2, scale: 'rate' }, { label: 'p99 ms', stroke: '#b3261e', width: 2, scale: 'ms' }],
    axes: [{}, { scale: 'rate', label: 'payments/s' }, { scale: 'ms', side: 1, label: 'p99 ms', grid: { show: false } }] }, data, target);
}

// ---- wiring -----------------------------------------------------------------------------------------------------

$('login-form').addEventListener('submit', signIn);
$('logout').addEventListener('click', () => signOut());
$('delivery-status').addEventListener('change', loadDeliveries);
$('retry-all').addEventListener('click', retryAll);
$('replay-form').addEventListener('submit', replay);
$('run-invariants').addEventListener('click', runInvariants);
$('tail-filter').addEventListener('submit', startTail);
$('tail-pause').addEventListener('click', () => {
  state.paused = !state.paused;
  $('tail-pause').textContent = state.paused ? 'Resume' : 'Pause';
});
$('history-form').addEventListener('submit', (e) => { e.preventDefault(); history($('history-stream').value.trim()); });
window.addEventListener('hashchange', route);
if (keyStore.get()) start();
