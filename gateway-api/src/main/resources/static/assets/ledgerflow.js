// Ledgerflow pages: the API client, RFC 9457 problems as messages, DOM and money helpers, live streams.

/** A key kept in this browser tab's session only (gone when the tab closes). */
export function sessionKey(name) {
  return {
    get: () => sessionStorage.getItem(name),
    set: (value) => sessionStorage.setItem(name, value),
    clear: () => sessionStorage.removeItem(name),
  };
}

/** An API answer that is a problem (RFC 9457): status, code, detail and per-field errors. */
export class Problem extends Error {
  constructor(status, body) {
    super(problemText(body, status));
    this.status = status;
    this.body = body || {};
    this.code = this.body.code;
    this.errors = Array.isArray(this.body.errors) ? this.body.errors : [];
  }
}

function problemText(body, status) {
  if (!body || typeof body !== 'object') return `The service answered ${status}.`;
  const parts = [body.detail || body.title || `The service answered ${status}.`];
  for (const e of body.errors || []) {
    if (e.message && e.message !== body.detail) parts.push(e.field ? `${e.field}: ${e.message}` : e.message);
  }
  return parts.join(' ');
}

/** Calls the API; resolves with the JSON body (null for none), rejects with a Problem. */
export async function api(path, { method = 'GET', body, key, headers = {}, raw = false } = {}) {
  const h = { ...headers };
  if (key) h.Authorization = `Bearer ${key}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new Problem(0, { detail: 'The service cannot be reached. Check your connection and try again.' });
  }
  if (raw && response.ok) return response;
  const text = await response.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = { detail: text.slice(0, 200) }; }
  }
  if (!response.ok) throw new Problem(response.status, json);
  return json;
}

/** Builds an element: el('td', { class: 'num' }, 'text', childNode). Text is always text, never HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

const fractionDigits = {};
function digits(currency) {
  if (!(currency in fractionDigits)) {
    try {
      fractionDigits[currency] = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
    } catch { fractionDigits[currency] = 2; }
  }
  return fractionDigits[currency];
}

/** Minor units as money: money(2500, 'INR') → "₹25.00". */
export function money(amountMinor, currency) {
  if (amountMinor === null || amountMinor === undefined) return '';
  const d = digits(currency);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(Number(amountMinor) / 10 ** d);
  } catch { return `${amountMinor} ${currency}`; }
}

/** A major-unit amount typed by a person ("12.50") as minor units, or null. */
export function toMinor(text, currency) {
  const value = String(text).trim();
  const d = digits(currency);
  if (!/^\d+(\.\d+)?$/.test(value)) return null;
  const [whole, frac = ''] = value.split('.');
  if (frac.length > d) return null;
  return Number(whole) * 10 ** d + Number((frac + '0'.repeat(d)).slice(0, d) || 0);
}

export function minorToMajor(amountMinor, currency) {
  const d = digits(currency);
  return (Number(amountMinor) / 10 ** d).toFixed(d);
}

export function when(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function badge(status) {
  return el('span', { class: `badge ${status}` }, String(status).replace('_', ' '));
}

/** Shows a problem (or any error) as a readable message in `target`; clears it for null. */
export function showProblem(target, error) {
  if (!error) { clear(target); target.hidden = true; return; }
  target.hidden = false;
  clear(target, el('div', { class: 'problem', role: 'alert' }, error.message || String(error)));
}

export function showNotice(target, text) {
  target.hidden = false;
  clear(target, el('div', { class: 'notice', role: 'status' }, text));
}

/**
 * Reads a Server-Sent Events stream with fetch, so it can carry an Authorization header (EventSource
 * cannot): calls onEvent({ id, event, data }) per message until `signal` aborts. Reconnects with
 * Last-Event-ID after a dropped connection.
 */
export async function fetchEvents(url, { key, signal, onEvent, onState = () => {} }) {
  let lastId = null;
  while (!signal.aborted) {
    try {
      const headers = { Accept: 'text/event-stream' };
      if (key) headers.Authorization = `Bearer ${key}`;
      if (lastId) headers['Last-Event-ID'] = lastId;
      const response = await fetch(url, { headers, signal });
      if (!response.ok) {
        let body = null;
        try { body = await response.json(); } catch { /* not JSON */ }
        throw new Problem(response.status, body);
      }
      onState('live');
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, '');
          const message = { id: null, event: 'message', data: '' };
          const data = [];
          for (const line of block.split(/\r?\n/)) {
            if (!line || line.startsWith(':')) continue;
            const i = line.indexOf(':');
            const field = i < 0 ? line : line.slice(0, i);
            const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'id') message.id = val;
            else if (field === 'event') message.event = val;
            else if (field === 'data') data.push(val);
          }
          if (!data.length) continue;
          message.data = data.join('\n');
          if (message.id) lastId = message.id;
          onEvent(message);
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof Problem && (e.status === 401 || e.status === 400 || e.status === 404)) { onState('error', e); return; }
    }
    if (signal.aborted) return;
    onState('reconnecting');
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** Downloads what `path` answers (with the key) as a file, e.g. a CSV export. */
export async function download(path, { key, accept, filename }) {
  const response = await api(path, { key, headers: { Accept: accept }, raw: true });
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Confirms with a modal dialog (keyboard accessible); resolves true when confirmed. */
export function confirmDialog(title, text, confirmLabel = 'Confirm') {
  return new Promise((resolve) => {
    const ok = el('button', { type: 'submit', value: 'ok', class: 'danger' }, confirmLabel);
    const cancel = el('button', { type: 'submit', value: 'cancel', class: 'secondary' }, 'Cancel');
    const dialog = el('dialog', { 'aria-labelledby': 'confirm-title' },
      el('form', { method: 'dialog' },
        el('h2', { id: 'confirm-title' }, title), el('p', {}, text),
        el('div', { class: 'row' }, el('span', {}), el('div', { class: 'narrow' }, cancel, ' ', ok))));
    dialog.addEventListener('close', () => { resolve(dialog.returnValue === 'ok'); dialog.remove(); });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
