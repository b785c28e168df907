// The merchant dashboard: everything through the public API with the merchant's key (kept in sessionStorage).
import { api, el, clear, money, toMinor, minorToMajor, when, badge, showProblem, showNotice, download, confirmDialog, sessionKey }
  from '/assets/ledgerflow.js';

const $ = (id) => document.getElementById(id);
const keyStore = sessionKey('ledgerflow.merchantKey');
const call = (path, options = {}) => api(path, { ...options, key: keyStore.get() });
const state = { payments: new Map(), cursor: null, selected: null, accounts: [], stream: null, lastPosition: null };

function fail(error) {
  showProblem($('problem'), error);
  if (error && error.status === 401) signOut('Your API key was not accepted (revoked or mistyped). Sign in again.');
}

// ---- sign in / navigation -------------------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const key = $('merchant-key').value.trim();
  try {
    await api('/v1/balance', { key });
  } catch (e) { showProblem($('problem'), e); return; }
  keyStore.set(key);
  $('merchant-key').value = '';
  start();
}

function signOut(message) {
  keyStore.clear();
  if (state.stream) { state.stream.close(); state.stream = null; }
  for (const page of document.querySelectorAll('[data-page]')) page.hidden = true;
  $('nav').hidden = true; $('logout').hidden = true; $('live-state').hidden = true;
  $('login').hidden = false;
  if (message) showProblem($('problem'), new Error(message)); else showProblem($('problem'), null);
}

function route() {
  if (!keyStore.get()) return;
  const page = (location.hash || '#payments').slice(1);
  for (const section of document.querySelectorAll('[data-page]')) section.hidden = section.id !== page;
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === `#${page}`) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  showProblem($('problem'), null);
  ({ payments: loadPayments, accounts: loadAccounts, reports: loadReport, webhooks: loadEndpoints, keys: loadKeys }[page] || (() => {}))();
}

function start() {
  $('login').hidden = true;
  $('nav').hidden = false;
  $('logout').hidden = false;
  route();
  connectFeed();
}

// ---- payments ---------------------------------------------------------------------------------------------------

function method(p) {
  const s = p.source || {};
  if (s.type === 'card') return `${s.brand || 'card'} •••• ${s.last4 || ''}`;
  if (s.type === 'upi') return `UPI ${s.vpa || ''}`;
  if (s.type === 'account') return `account ${s.account || ''}`;
  return s.type || '';
}

function paymentFilter() {
  const q = new URLSearchParams();
  if ($('filter-status').value) q.set('status', $('filter-status').value);
  if ($('filter-from').value) q.set('created_gte', new Date(`${$('filter-from').value}T00:00:00`).toISOString());
  if ($('filter-to').value) q.set('created_lt', new Date(`${$('filter-to').value}T00:00:00`).toISOString());
  return q;
}

function matchesFilter(p) {
  const status = $('filter-status').value;
  const m = $('filter-method').value;
  return (!status || p.status === status) && (!m || (p.source && p.source.type === m));
}

function paymentRow(p) {
  return el('tr', { class: `clickable${state.selected === p.id ? ' selected' : ''}`, tabindex: 0, dataset: { id: p.id },
      onclick: () => openPayment(p.id), onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); openPayment(p.id); } } },
    el('td', {}, when(p.created_at)), el('td', { class: 'mono' }, p.id), el('td', { class: 'status' }, badge(p.status)),
    el('td', {}, method(p)), el('td', { class: 'num' }, money(p.amount, p.currency)),
    el('td', { class: 'num captured' }, money(p.amount_captured, p.currency)),
    el('td', { class: 'num refunded' }, money(p.amount_refunded, p.currency)));
}

async function loadPayments(more = false) {
  const q = paymentFilter();
  q.set('limit', '25');
  if (more && state.cursor) q.set('starting_after', state.cursor);
  try {
    const page = await call(`/v1/payments?${q}`);
    const body = $('payments-table').tBodies[0];
    if (!more) { clear(body); state.payments.clear(); }
    for (const p of page.data) {
      state.payments.set(p.id, p);
      if (matchesFilter(p)) body.append(paymentRow(p));
    }
    state.cursor = page.data.length ? page.data[page.data.length - 1].id : null;
    $('payments-more').hidden = !page.has_more;
  } catch (e) { fail(e); }
}

/** A payment changed (seen live): update its row, or add it on top when it is new and passes the filter. */
function upsertPayment(p) {
  const body = $('payments-table').tBodies[0];
  const existing = body.querySelector(`tr[data-id="${CSS.escape(p.id)}"]`);
  state.payments.set(p.id, p);
  if (existing) {
    if (matchesFilter(p)) existing.replaceWith(paymentRow(p)); else existing.remove();
  } else if (matchesFilter(p) && !$('filter-to').value) {
    body.prepend(paymentRow(p));
  }
  if (state.selected === p.id) openPayment(p.id, true);
}

async function openPayment(id, quiet = false) {
  state.selected = id;
  for (const row of $('payments-table').querySelectorAll('tr.selected')) row.classList.remove('selected');
  $('payments-table').querySelector(`tr[data-id="${CSS.escape(id)}"]`)?.classList.add('selected');
  const box = $('payment-detail');
  try {
    const [p, events, refunds] = await Promise.all([call(`/v1/payments/${id}`), call(`/v1/payments/${id}/events`), call(`/v1/payments/${id}/refunds`)]);
    const refundable = p.amount_captured - p.amount_refunded;
    const actions = el('div', { class: 'row' });
    if (p.status === 'requires_capture') {
      const amount = el('input', { id: 'capture-amount', value: minorToMajor(p.amount, p.currency), inputmode: 'decimal' });
      actions.append(el('div', {}, el('label', { for: 'capture-amount' }, 'Capture amount'), amount),
        el('div', { class: 'narrow' }, el('button', { id: 'capture-button', onclick: () => capture(p, amount.value) }, 'Capture'),
          ' ', el('button', { id: 'cancel-button', class: 'danger', onclick: () => cancel(p) }, 'Cancel payment')));
    }
    if (refundable > 0) {
      const amount = el('input', { id: 'refund-amount', value: minorToMajor(refundable, p.currency), inputmode: 'decimal',
        'aria-describedby': 'refund-hint' });
      actions.append(el('div', {}, el('label', { for: 'refund-amount' }, 'Refund amount'), amount,
          el('div', { class: 'hint', id: 'refund-hint' }, `Up to ${money(refundable, p.currency)}`)),
        el('div', { class: 'narrow' }, el('button', { id: 'refund-button', onclick: () => refund(p, amount.value) }, 'Refund')));
    }
    clear(box,
      el('h3', {}, 'Payment ', el('span', { class: 'mono' }, p.id), ' ', badge(p.status)),
      el('dl', { class: 'kv' },
        el('dt', {}, 'Amount'), el('dd', {}, money(p.amount, p.currency)),
        el('dt', {}, 'Captured'), el('dd', {}, money(p.amount_captured, p.currency)),
        el('dt', {}, 'Refunded'), el('dd', { id: 'detail-refunded' }, money(p.amount_refunded, p.currency)),
        el('dt', {}, 'Method'), el('dd', {}, method(p)),
        el('dt', {}, 'Capture'), el('dd', {}, p.capture_method),
        p.failure_code && [el('dt', {}, 'Failure'), el('dd', {}, p.failure_code)],
        p.description && [el('dt', {}, 'Description'), el('dd', {}, p.description)],
        el('dt', {}, 'Created'), el('dd', {}, when(p.created_at))),
      actions,
      el('div', { id: 'detail-problem', hidden: true }),
      refunds.data.length > 0 && [el('h3', {}, 'Refunds'), el('ul', {}, refunds.data.map((r) =>
        el('li', {}, `${money(r.amount, r.currency)} `, badge(r.status), ` ${when(r.created_at)}`, r.reason ? ` — ${r.reason}` : '')))],
      el('h3', {}, 'Events'),
      el('ol', { class: 'mono' }, events.data.map((e) => el('li', {}, `#${e.position} ${e.type} · ${when(e.created_at)}`))));
    box.hidden = false;
    if (!quiet) box.scrollIntoView({ block: 'nearest' });
  } catch (e) { fail(e); }
}

async function capture(p, text) {
  const amount = toMinor(text, p.currency);
  if (amount === null) { showProblem($('detail-problem'), new Error('Enter an amount like 12.50.')); return; }
  if (!await confirmDialog('Capture payment?', `Capture ${money(amount, p.currency)} of ${p.id}.`, 'Capture')) return;
  try { await call(`/v1/payments/${p.id}/capture`, { method: 'POST', body: { amount } }); openPayment(p.id, true); }
  catch (e) { showProblem($('detail-problem'), e); }
}

async function cancel(p) {
  if (!await confirmDialog('Cancel payment?', `Release the whole authorization of ${p.id}.`, 'Cancel payment')) return;
  try { await call(`/v1/payments/${p.id}/cancel`, { method: 'POST' }); openPayment(p.id, true); }
  catch (e) { showProblem($('detail-problem'), e); }
}

async function refund(p, text) {
  const amount = toMinor(text, p.currency);
  if (amount === null) { showProblem($('detail-problem'), new Error('Enter an amount like 12.50.')); return; }
  if (!await confirmDialog('Refund?', `Refund ${money(amount, p.currency)} of ${p.id} to the customer.`, 'Refund')) return;
  try {
    await call(`/v1/payments/${p.id}/refunds`, { method: 'POST', body: { amount }, headers: { 'Idempotency-Key': crypto.randomUUID() } });
    showNotice($('detail-problem'), `Refund of ${money(amount, p.currency)} requested; the table updates when it succeeds.`);
  } catch (e) { showProblem($('detail-problem'), e); }
}

async function createTestPayment(event) {
  event.preventDefault();
  const currency = $('np-currency').value.trim().toUpperCase();
  const amount = toMinor($('np-amount').value, currency);
  if (amount === null) { fail(new Error('Enter an amount like 25.00.')); return; }
  try {
    const p = await call('/v1/payments', { method: 'POST', body: { amount, currency, capture_method: $('np-capture').value,
      source: { type: 'card', number: $('np-card').value, exp_month: 12, exp_year: new Date().getFullYear() + 3, cvc: '123' } } });
    upsertPayment(p);
  } catch (e) { fail(e); }
}

async function createSession(event) {
  event.preventDefault();
  const currency = $('np-currency').value.trim().toUpperCase();
  const amount = toMinor($('np-amount').value, currency);
  try {
    const here = `${location.origin}/dashboard/`;
    const s = await call('/v1/checkout/sessions', { method: 'POST', body: { amount, currency, description: 'Test checkout',
      success_url: `${here}?checkout=paid`, cancel_url: `${here}?checkout=canceled` } });
    clear($('new-session-out'), el('a', { href: s.url, id: 'new-session-link' }, `${location.origin}${s.url}`), ` (expires ${when(s.expires_at)})`);
  } catch (e) { fail(e); }
}

// ---- the live feed ----------------------------------------------------------------------------------------------

async function connectFeed() {
  if (state.stream) state.stream.close();
  const live = $('live-state');
  live.hidden = false;
  try {
    const { token } = await call('/v1/stream-tokens', { method: 'POST', body: {} });
    const after = state.lastPosition ? `&after=${state.lastPosition}` : '';
    const stream = new EventSource(`/v1/events/stream?token=${encodeURIComponent(token)}${after}`);
    state.stream = stream;
    stream.onopen = () => { live.textContent = 'live'; live.className = 'badge ok'; };
    const onEvent = (message) => {
      state.lastPosition = message.lastEventId || state.lastPosition;
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      if (event.type.startsWith('payment.')) upsertPayment(event.data);
      else if (event.type.startsWith('refund.')) call(`/v1/payments/${event.data.payment}`).then(upsertPayment).catch(() => {});
    };
    for (const type of ['payment.created', 'payment.requires_capture', 'payment.succeeded', 'payment.failed', 'payment.canceled',
      'refund.created', 'refund.succeeded', 'refund.failed',
      'payment.disputed', 'payment.dispute_won', 'payment.dispute_lost']) stream.addEventListener(type, onEvent);
    // The token may have expired, or the service restarted: a fresh token, resuming after the last event seen.
    stream.onerror = () => {
      stream.close();
      live.textContent = 'reconnecting'; live.className = 'badge pending';
      if (keyStore.get()) setTimeout(connectFeed, 3000);
    };
  } catch (e) {
    live.textContent = 'offline'; live.className = 'badge bad';
    if (e.status === 401) fail(e); else setTimeout(connectFeed, 5000);
  }
}

// ---- accounts and transfers -------------------------------------------------------------------------------------

async function loadAccounts() {
  try {
    const events = await call('/v1/events?type=account.created&limit=100');
    const ids = events.data.map((e) => e.data.id);
    state.accounts = await Promise.all(ids.map((id) => call(`/v1/accounts/${id}`)));
    const body = clear($('accounts-table').tBodies[0]);
    for (const a of state.accounts) {
      body.append(el('tr', { class: 'clickable', tabindex: 0, onclick: () => openAccount(a), onkeydown: (e) => { if (e.key === 'Enter') openAccount(a); } },
        el('td', { class: 'mono' }, a.id), el('td', { class: 'num' }, money(a.balance.posted, a.currency)),
        el('td', { class: 'num' }, money(a.balance.pending, a.currency)), el('td', { class: 'num' }, money(a.balance.available, a.currency))));
    }
    for (const select of [$('tr-from'), $('tr-to')]) {
      const chosen = select.value;
      clear(select, state.accounts.map((a) => el('option', { value: a.id }, `${a.id} (${a.currency})`)));
      if (chosen) select.value = chosen;
    }
  } catch (e) { fail(e); }
}

let balanceChart = null;
async function openAccount(a) {
  $('account-detail').hidden = false;
  $('account-title').textContent = `Account ${a.id} · ${money(a.balance.available, a.currency)} available`;
  try {
    const entries = await call(`/v1/accounts/${a.id}/entries?limit=50`);
    clear($('entries-table').tBodies[0], entries.data.map((e) => el('tr', {},
      el('td', {}, when(e.created_at)), el('td', {}, `${e.type} `, el('span', { class: 'mono' }, e.object || '')),
      el('td', { class: 'num' }, money(e.posted_change, a.currency)),
      el('td', { class: 'num' }, money(e.balance.posted, a.currency)))));
    // Balance over time: the balance at 24 points between the account's opening and now.
    const from = new Date(a.created_at).getTime();
    const to = Date.now();
    const times = Array.from({ length: 24 }, (_, i) => from + ((to - from) * (i + 1)) / 24);
    const points = await Promise.all(times.map((t) => call(`/v1/accounts/${a.id}/balance?at=${new Date(t).toISOString()}`)));
    const posted = points.map((p) => Number(minorToMajor(p.balance.posted, a.currency)));
    if (balanceChart) balanceChart.destroy();
    balanceChart = chart($('balance-chart'), [times.map((t) => t / 1000), posted], [`posted (${a.currency})`]);
  } catch (e) { fail(e); }
}

async function transfer(event) {
  event.preventDefault();
  const from = state.accounts.find((a) => a.id === $('tr-from').value);
  if (!from) return;
  const amount = toMinor($('tr-amount').value, from.currency);
  if (amount === null) { fail(new Error('Enter an amount like 12.50.')); return; }
  if (!await confirmDialog('Transfer?', `Move ${money(amount, from.currency)} from ${from.id} to ${$('tr-to').value}.`, 'Transfer')) return;
  try {
    await call('/v1/transfers', { method: 'POST', body: { from_account: from.id, to_account: $('tr-to').value, amount, currency: from.currency },
      headers: { 'Idempotency-Key': crypto.randomUUID() } });
    showNotice($('problem'), 'Transfer posted.');
    loadAccounts();
  } catch (e) { fail(e); }
}

async function deposit() {
  const to = state.accounts.find((a) => a.id === $('tr-from').value);
  if (!to) return;
  const amount = toMinor($('dep-amount').value, to.currency);
  if (amount === null) { fail(new Error('Enter an amount like 12.50.')); return; }
  try {
    await call(`/v1/accounts/${to.id}/deposits`, { method: 'POST', body: { amount }, headers: { 'Idempotency-Key': crypto.randomUUID() } });
    loadAccounts();
  } catch (e) { fail(e); }
}

async function openAccountForm(event) {
  event.preventDefault();
  try { await call('/v1/accounts', { method: 'POST', body: { currency: $('na-currency').value.trim() } }); loadAccounts(); }
  catch (e) { fail(e); }
}

// ---- reports ----------------------------------------------------------------------------------------------------

function chart(target, data, labels) {
  clear(target);
  if (!window.uPlot) { target.append(el('p', { class: 'hint' }, 'Charts are unavailable.')); return null; }
  const width = Math.max(280, target.clientWidth || 600);
  const colors = ['#2353d6', '#b3261e', '#137333', '#8a5a00'];
  return new window.uPlot({ width, height: 220, series: [{}, ...labels.map((label, i) => ({ label, stroke: colors[i % 4], width: 2 }))],
    axes: [{}, { size: 70 }] }, data, target);
}

let volumeChart = null;
async function loadReport(event) {
  if (event) event.preventDefault();
  const q = new URLSearchParams({ interval: $('rep-interval').value });
  if ($('rep-currency').value.trim()) q.set('currency', $('rep-currency').value.trim());
  try {
    const report = await call(`/v1/reports/volume?${q}`);
    clear($('volume-table').tBodies[0], report.data.map((r) => el('tr', {}, el('td', {}, when(r.period_start)), el('td', {}, r.currency),
      el('td', { class: 'num' }, r.count), el('td', { class: 'num' }, money(r.gross, r.currency)),
      el('td', { class: 'num' }, money(r.refunded, r.currency)), el('td', { class: 'num' }, money(r.net, r.currency)))));
    const currencies = [...new Set(report.data.map((r) => r.currency))];
    const periods = [...new Set(report.data.map((r) => r.period_start))].sort();
    const series = currencies.map((c) => periods.map((p) => {
      const row = report.data.find((r) => r.period_start === p && r.currency === c);
      return row ? Number(minorToMajor(row.net, c)) : 0;
    }));
    if (volumeChart) volumeChart.destroy();
    volumeChart = periods.length ? chart($('volume-chart'), [periods.map((p) => new Date(p).getTime() / 1000), ...series],
      currencies.map((c) => `net ${c}`)) : null;
    if (!periods.length) clear($('volume-chart'), el('p', { class: 'hint' }, 'No payments in this period yet.'));
  } catch (e) { fail(e); }
}

// ---- webhooks ---------------------------------------------------------------------------------------------------

async function loadEndpoints() {
  try {
    const list = await call('/v1/webhook-endpoints');
    clear($('endpoints-table').tBodies[0], list.data.map((w) => el('tr', {},
      el('td', { class: 'mono' }, w.id), el('td', { class: 'wrap' }, w.url), el('td', {}, (w.events || []).join(', ')), el('td', {}, badge(w.status)),
      el('td', {},
        el('button', { class: 'secondary', onclick: () => loadDeliveries(w) }, 'Deliveries'), ' ',
        el('button', { class: 'secondary', onclick: () => rotate(w) }, 'Rotate secret'), ' ',
        w.status === 'enabled'
          ? el('button', { class: 'danger', onclick: () => setStatus(w, 'disabled') }, 'Disable')
          : el('button', { onclick: () => setStatus(w, 'enabled') }, 'Enable')))));
  } catch (e) { fail(e); }
}

function showSecret(target, label, secret) {
  target.hidden = false;
  clear(target, el('div', { class: 'notice', role: 'status' }, `${label} It is shown only now: copy it.`),
    el('div', { class: 'secret', tabindex: 0 }, secret));
}

async function createEndpoint(event) {
  event.preventDefault();
  const events = $('we-events').value.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    const w = await call('/v1/webhook-endpoints', { method: 'POST', body: { url: $('we-url').value.trim(), events } });
    showSecret($('endpoint-secret'), `Signing secret of ${w.id}.`, w.secret);
    loadEndpoints();
  } catch (e) { fail(e); }
}

async function rotate(w) {
  if (!await confirmDialog('Rotate the signing secret?', 'The old secret stays valid for a while, so receivers can switch.', 'Rotate')) return;
  try {
    const r = await call(`/v1/webhook-endpoints/${w.id}/rotate-secret`, { method: 'POST' });
    showSecret($('endpoint-secret'), `New signing secret of ${w.id}.`, r.secret);
  } catch (e) { fail(e); }
}

async function setStatus(w, status) {
  if (status === 'disabled' && !await confirmDialog('Disable endpoint?', `No more deliveries to ${w.url} until enabled.`, 'Disable')) return;
  try { await call(`/v1/webhook-endpoints/${w.id}`, { method: 'PATCH', body: { status } }); loadEndpoints(); } catch (e) { fail(e); }
}

async function loadDeliveries(w) {
  $('deliveries').hidden = false;
  $('deliveries-title').textContent = `Deliveries to ${w.url}`;
  try {
    const list = await call(`/v1/webhook-deliveries?endpoint=${encodeURIComponent(w.id)}&limit=50`);
    clear($('deliveries-table').tBodies[0], list.data.map((d) => el('tr', {},
      el('td', { class: 'mono' }, d.id), el('td', {}, d.event_type), el('td', {}, badge(d.status)), el('td', { class: 'num' }, d.attempts),
      el('td', {}, d.last_status_code ? String(d.last_status_code) : (d.last_error || '')),
      el('td', {}, el('button', { class: 'secondary', onclick: () => showAttempts(d) }, 'Attempts'), ' ',
        d.status !== 'pending' && el('button', { onclick: () => retryDelivery(w, d) }, 'Retry')))));
  } catch (e) { fail(e); }
}

async function showAttempts(d) {
  try {
    const list = await call(`/v1/webhook-deliveries/${d.id}/attempts`);
    clear($('attempts'), el('h3', {}, `Attempts of ${d.id}`), el('ol', {}, list.data.map((a) =>
      el('li', {}, `${when(a.started_at)} · ${a.status_code ?? 'no answer'} · ${a.duration_ms} ms${a.error ? ` · ${a.error}` : ''}`))));
  } catch (e) { fail(e); }
}

async function retryDelivery(w, d) {
  try { await call(`/v1/webhook-deliveries/${d.id}/retry`, { method: 'POST' }); loadDeliveries(w); } catch (e) { fail(e); }
}

// ---- API keys ---------------------------------------------------------------------------------------------------

async function loadKeys() {
  try {
    const list = await call('/v1/api-keys');
    clear($('keys-table').tBodies[0], list.data.map((k) => el('tr', { dataset: { id: k.id } },
      el('td', { class: 'mono' }, k.id), el('td', { class: 'mono' }, `…${k.last4}`), el('td', {}, badge(k.status)), el('td', {}, when(k.created_at)),
      el('td', {}, k.status === 'active' && el('button', { class: 'danger', onclick: () => revokeKey(k) }, 'Revoke')))));
  } catch (e) { fail(e); }
}

async function createKey() {
  try {
    const k = await call('/v1/api-keys', { method: 'POST' });
    showSecret($('key-secret'), `New API key ${k.id}.`, k.api_key);
    loadKeys();
  } catch (e) { fail(e); }
}

async function revokeKey(k) {
  if (!await confirmDialog('Revoke API key?', `Key …${k.last4} stops working at once. Anything using it gets 401.`, 'Revoke')) return;
  try { await call(`/v1/api-keys/${k.id}`, { method: 'DELETE' }); loadKeys(); } catch (e) { fail(e); }
}

// ---- wiring -----------------------------------------------------------------------------------------------------

$('login-form').addEventListener('submit', signIn);
$('logout').addEventListener('click', () => signOut());
$('payments-filter').addEventListener('submit', (e) => { e.preventDefault(); loadPayments(); });
$('payments-more').addEventListener('click', () => loadPayments(true));
$('payments-csv').addEventListener('click', () => {
  const q = paymentFilter();
  q.set('type', 'payment');
  download(`/v1/transactions?${q}`, { key: keyStore.get(), accept: 'text/csv', filename: 'payments.csv' }).catch(fail);
});
$('new-payment').addEventListener('submit', createTestPayment);
$('new-session').addEventListener('submit', createSession);
$('new-account').addEventListener('submit', openAccountForm);
$('new-transfer').addEventListener('submit', transfer);
$('deposit').addEventListener('click', deposit);
$('report-filter').addEventListener('submit', loadReport);
$('new-endpoint').addEventListener('submit', createEndpoint);
$('new-key').addEventListener('click', createKey);
window.addEventListener('hashchange', route);
if (new URLSearchParams(location.search).get('checkout') === 'paid') showNotice($('problem'), 'Checkout paid: thank you!');
if (keyStore.get()) start();
