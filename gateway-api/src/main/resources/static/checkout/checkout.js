// The hosted checkout: reads the session by its id (no key), pays it by card or UPI, follows the payment live.
import { api, el, clear, money, showProblem } from '/assets/ledgerflow.js';

const sessionId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '');
const $ = (id) => document.getElementById(id);
let session = null;
let stream = null;

const FAILURES = {
  card_declined: 'The card was declined. Try another card, or pay by UPI.',
  insufficient_funds: 'The card has insufficient funds. Try another card, or pay by UPI.',
  processing_error: 'The payment could not be processed. Please try again.',
  timeout: 'The bank did not answer in time. Please try again.',
};

/** Brand from the leading digits (what the number field shows while typing). */
export function brandOf(digits) {
  if (/^4/.test(digits)) return 'Visa';
  if (/^(5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720))/.test(digits)) return 'Mastercard';
  if (/^3[47]/.test(digits)) return 'American Express';
  if (/^(60|65|81|82|508)/.test(digits)) return 'RuPay';
  if (/^(6011|64[4-9])/.test(digits)) return 'Discover';
  if (/^35(2[89]|[3-8]\d)/.test(digits)) return 'JCB';
  if (/^3(0[0-5]|[689])/.test(digits)) return 'Diners Club';
  return '';
}

export function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return digits.length >= 12 && sum % 10 === 0;
}

function showClosed(title, text, linkText, href) {
  $('loading').hidden = true;
  $('open').hidden = true;
  $('closed').hidden = false;
  $('closed-title').textContent = title;
  $('closed-text').textContent = text;
  const link = $('closed-link');
  if (href) { link.textContent = linkText; link.href = href; link.hidden = false; } else { link.hidden = true; }
  document.title = title;
}

async function load() {
  try {
    session = await api(`/v1/checkout/sessions/${encodeURIComponent(sessionId)}/public`);
  } catch (e) {
    if (e.status === 404) showClosed('Checkout not found', 'This checkout link is not valid. Ask the shop for a new one.');
    else showClosed('Checkout unavailable', e.message);
    return;
  }
  render();
}

function render() {
  $('loading').hidden = true;
  if (session.status === 'expired') {
    showClosed('This checkout has expired', 'Nothing was charged. Return to the shop to start again.',
      'Return to the shop', session.cancel_url);
    return;
  }
  if (session.status === 'complete') {
    showClosed('This checkout is paid', 'The payment was received; nothing more to do.', 'Continue to the shop', session.success_url);
    return;
  }
  $('open').hidden = false;
  $('merchant-name').textContent = session.merchant_name;
  $('amount').textContent = money(session.amount, session.currency);
  $('description').textContent = session.description || '';
  $('cancel-link').href = session.cancel_url;
  document.title = `Pay ${money(session.amount, session.currency)} to ${session.merchant_name}`;
  for (const method of ['card', 'upi']) $(`method-${method}-label`).hidden = !session.methods.includes(method);
  if (!session.methods.includes('card')) $('method-upi').checked = true;
  $('method-choice').hidden = session.methods.length < 2;
  switchMethod();
  if (session.status === 'processing' && session.payment) {
    follow(session.payment.id, session.stream_token);
  } else if (session.payment && session.payment.failure_code) {
    failed(session.payment.failure_code);
  }
}

function method() { return document.querySelector('input[name=method]:checked').value; }

function switchMethod() {
  $('card-fields').hidden = method() !== 'card';
  $('upi-fields').hidden = method() !== 'upi';
}

function fieldError(id, text) {
  $(`${id}-error`).textContent = text || '';
  $(id).setAttribute('aria-invalid', text ? 'true' : 'false');
}

function cardDigits() { return $('card-number').value.replace(/\D/g, ''); }

function checkNumber(final) {
  const digits = cardDigits();
  $('card-brand').textContent = brandOf(digits);
  if (!digits) { fieldError('card-number', final ? 'Enter the card number.' : ''); return false; }
  const complete = digits.length >= 16 || (digits.length >= 15 && /^3[47]/.test(digits)) || final;
  if (complete && !luhn(digits)) { fieldError('card-number', 'This card number is not valid. Check it for typos.'); return false; }
  fieldError('card-number', '');
  return luhn(digits);
}

function expiry() {
  const m = $('card-expiry').value.replace(/\s/g, '').match(/^(\d{1,2})\/?(\d{2}|\d{4})$/);
  if (!m) return null;
  const month = Number(m[1]);
  const year = m[2].length === 2 ? 2000 + Number(m[2]) : Number(m[2]);
  return month >= 1 && month <= 12 ? { month, year } : null;
}

function checkExpiry(final) {
  const value = $('card-expiry').value.trim();
  if (!value) { fieldError('card-expiry', final ? 'Enter the expiry date.' : ''); return false; }
  const e = expiry();
  if (!e) { fieldError('card-expiry', final || value.length >= 5 ? 'Use MM/YY, like 04/29.' : ''); return false; }
  const now = new Date();
  if (e.year < now.getFullYear() || (e.year === now.getFullYear() && e.month < now.getMonth() + 1)) {
    fieldError('card-expiry', 'This card has expired.');
    return false;
  }
  fieldError('card-expiry', '');
  return true;
}

function checkCvc(final) {
  const ok = /^\d{3,4}$/.test($('card-cvc').value.trim());
  fieldError('card-cvc', !ok && (final || $('card-cvc').value.length > 4) ? 'The CVC is the 3 or 4 digits on the card.' : '');
  return ok;
}

function checkVpa(final) {
  const value = $('upi-vpa').value.trim();
  const ok = /^[a-zA-Z0-9.\-_]{2,256}@[a-zA-Z][a-zA-Z0-9.\-]{1,63}$/.test(value);
  fieldError('upi-vpa', !ok && final ? 'Enter a UPI ID like name@bank.' : '');
  return ok;
}

function formatNumber() {
  const input = $('card-number');
  const digits = cardDigits().slice(0, 19);
  const grouped = digits.replace(/(\d{4})(?=\d)/g, '$1 ');
  if (grouped !== input.value) input.value = grouped;
  checkNumber(false);
}

function formatExpiry(event) {
  const input = $('card-expiry');
  let digits = input.value.replace(/\D/g, '').slice(0, 4);
  if (digits.length >= 3 || (digits.length === 2 && event.inputType !== 'deleteContentBackward')) {
    digits = `${digits.slice(0, 2)}/${digits.slice(2)}`;
  }
  input.value = digits;
  checkExpiry(false);
}

function busy(on, text) {
  $('pay-button').disabled = on;
  for (const input of $('pay-form').querySelectorAll('input')) input.disabled = on;
  const progress = $('progress');
  progress.className = '';
  progress.hidden = !text;
  progress.textContent = text || '';
}

async function pay(event) {
  event.preventDefault();
  showProblem($('form-error'), null);
  let source;
  if (method() === 'card') {
    const ok = [checkNumber(true), checkExpiry(true), checkCvc(true)].every(Boolean);
    if (!ok) { document.querySelector('[aria-invalid=true]')?.focus(); return; }
    const e = expiry();
    source = { type: 'card', number: cardDigits(), exp_month: e.month, exp_year: e.year, cvc: $('card-cvc').value.trim() };
  } else {
    if (!checkVpa(true)) { $('upi-vpa').focus(); return; }
    source = { type: 'upi', vpa: $('upi-vpa').value.trim() };
  }
  busy(true, 'Sending the payment…');
  try {
    const answer = await api(`/v1/checkout/sessions/${encodeURIComponent(sessionId)}/pay`, { method: 'POST', body: { source } });
    session = answer;
    follow(answer.payment.id, answer.stream_token);
  } catch (e) {
    busy(false);
    if (e.code === 'checkout_session_complete' || e.code === 'checkout_session_expired') { await load(); return; }
    const fields = { 'source.number': 'card-number', 'source.exp_month': 'card-expiry', 'source.exp_year': 'card-expiry',
      'source.cvc': 'card-cvc', 'source.vpa': 'upi-vpa' };
    let placed = false;
    for (const err of e.errors) {
      if (fields[err.field]) { fieldError(fields[err.field], err.message); placed = true; }
    }
    if (!placed) showProblem($('form-error'), e);
  }
}

/** Follows the payment over SSE (a token scoped to it); falls back to polling the session. */
function follow(paymentId, token) {
  busy(true, 'Processing the payment…');
  if (stream) stream.close();
  let settled = false;
  const settle = (view) => {
    if (settled) return;
    if (view.status === 'succeeded' || view.status === 'requires_capture') { settled = true; succeeded(); }
    else if (view.status === 'failed' || view.status === 'canceled') { settled = true; failed(view.failure_code); }
  };
  if (token) {
    stream = new EventSource(`/v1/payments/${encodeURIComponent(paymentId)}/stream?token=${encodeURIComponent(token)}`);
    const onMessage = (message) => {
      try { settle(JSON.parse(message.data).data || {}); } catch { /* a heartbeat or unknown frame */ }
    };
    for (const type of ['payment.current', 'payment.succeeded', 'payment.failed', 'payment.canceled', 'payment.requires_capture']) {
      stream.addEventListener(type, onMessage);
    }
    stream.onerror = () => { if (stream) { stream.close(); stream = null; } if (!settled) poll(settle); };
  } else {
    poll(settle);
  }
}

async function poll(settle) {
  for (let i = 0; i < 120; i++) {
    await new Promise((r) => setTimeout(r, 1500));
    try {
      const view = await api(`/v1/checkout/sessions/${encodeURIComponent(sessionId)}/public`);
      if (view.payment) settle(view.payment);
      if (view.status !== 'processing') return;
    } catch { /* try again */ }
  }
}

function succeeded() {
  if (stream) { stream.close(); stream = null; }
  busy(true, 'Payment successful. Taking you back to the shop…');
  $('progress').className = 'success';
  $('cancel-link').hidden = true;
  setTimeout(() => location.assign(session.success_url), 1200);
}

function failed(code) {
  if (stream) { stream.close(); stream = null; }
  busy(false);
  showProblem($('form-error'), new Error(FAILURES[code] || 'The payment did not go through. Please try again.'));
}

$('pay-form').addEventListener('submit', pay);
for (const input of document.querySelectorAll('input[name=method]')) input.addEventListener('change', switchMethod);
$('card-number').addEventListener('input', formatNumber);
$('card-number').addEventListener('blur', () => checkNumber(!!cardDigits()));
$('card-expiry').addEventListener('input', formatExpiry);
$('card-expiry').addEventListener('blur', () => checkExpiry(!!$('card-expiry').value));
$('card-cvc').addEventListener('input', () => { $('card-cvc').value = $('card-cvc').value.replace(/\D/g, ''); checkCvc(false); });
$('upi-vpa').addEventListener('blur', () => checkVpa(!!$('upi-vpa').value));
load();
