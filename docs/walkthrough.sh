#!/usr/bin/env bash
# README's walk-through, runnable: accounts, a deposit, transfers, a 3-leg transaction and its reversal, a
# pending transaction posted in part and one voided, card payments captured, refunded and canceled, UPI and
# wallet payments, a refund the acquirer declines, a disputed payment (lost), a balance monitor firing once,
# the balance and a payment's history, and the log's hash chain verified. Needs only bash, curl and sed.
#
# With the embedded default running, paste the two export lines it prints (KEY, LEDGER_ADMIN_KEY), then:
#   bash docs/walkthrough.sh            (BASE=http://host:port to point it elsewhere)
# Each step prints the request and the answer; the script stops at the first answer it did not expect.
# A test runs it against the embedded default on every build (WalkthroughScriptTest), so it stays true.
set -euo pipefail

BASE="${BASE:-http://localhost:8080}"
: "${KEY:?set KEY to the demo merchant key the service printed (export KEY=...)}"
: "${LEDGER_ADMIN_KEY:?set LEDGER_ADMIN_KEY to the admin key the service printed}"
RUN="$(date +%s)-$$"   # makes this run's Idempotency-Keys its own

STATUS=""
BODY=""

# call METHOD PATH EXPECTED_STATUS [BODY] [extra curl arguments...]: prints the exchange, fails on another status.
call() {
  local method="$1" path="$2" expected="$3" body="${4:-}"
  shift 3; [ $# -gt 0 ] && shift
  local key="$KEY"
  case "$path" in /v1/merchants*|/admin/*) key="$LEDGER_ADMIN_KEY" ;; esac
  local args=(-sS -X "$method" "$BASE$path" -H "Authorization: Bearer $key" -w '\n%{http_code}')
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' -d "$body"); fi
  echo "> $method $path ${body}"
  local out
  out="$(curl "${args[@]}" "$@")"
  STATUS="${out##*$'\n'}"
  BODY="${out%$'\n'*}"
  echo "< $STATUS $BODY" | cut -c1-400
  if [ "$STATUS" != "$expected" ]; then
    echo "expected $expected, got $STATUS" >&2
    exit 1
  fi
}

# field NAME: a top-level string field of the last answer (the first occurrence).
field() {
  printf '%s' "$BODY" | sed -n "s/^[^{]*{.*\"$1\":\"\([^\"]*\)\".*$/\1/p" | head -n1
}

# await_status PATH STATUS: reads PATH until its "status" is STATUS (payments are processed in the background).
await_status() {
  for _ in $(seq 1 100); do
    call GET "$1" 200 >/dev/null
    if [ "$(status_of)" = "$2" ]; then echo "  $1 is $2"; return 0; fi
    sleep 0.2
  done
  echo "$1 did not reach $2 (last: $(status_of))" >&2
  exit 1
}

# await_match PATH TEXT: reads PATH until its answer holds TEXT (monitors fire in the background).
await_match() {
  for _ in $(seq 1 100); do
    call GET "$1" 200 >/dev/null
    if printf '%s' "$BODY" | grep -qF "$2"; then echo "  $1 holds $2"; return 0; fi
    sleep 0.2
  done
  echo "$1 never held $2 (last: $BODY)" >&2
  exit 1
}

# count TEXT: how often the last answer holds TEXT.
count() {
  printf '%s' "$BODY" | grep -oF "$1" | wc -l | tr -d ' '
}

status_of() {
  printf '%s' "$BODY" | sed -n 's/.*"status":"\([a-z_]*\)".*/\1/p' | head -n1
}

# await_dispute PAYMENT_PATH STATUS: reads the payment until its "dispute" has that status (the acquirer raises and decides it later).
await_dispute() {
  for _ in $(seq 1 150); do
    call GET "$1" 200 >/dev/null
    if [ "$(printf '%s' "$BODY" | sed -n 's/.*"dispute":{[^}]*"status":"\([a-z_]*\)".*/\1/p' | head -n1)" = "$2" ]; then
      echo "  $1 dispute is $2"; return 0
    fi
    sleep 0.2
  done
  echo "$1: its dispute did not reach $2" >&2
  exit 1
}

echo "== A merchant of your own (admin key)"
call POST /v1/merchants 201 '{"name":"Acme Books"}'

echo "== Three wallet accounts of the demo merchant, and a deposit"
call POST /v1/accounts 201 '{"currency":"usd","metadata":{"owner":"ana"}}'
A="$(field id)"
call POST /v1/accounts 201 '{"currency":"USD","overdraft_limit":1000}'
B="$(field id)"
call POST /v1/accounts 201 '{"currency":"USD"}'
C="$(field id)"
call POST "/v1/accounts/$A/deposits" 201 '{"amount":10000}' -H "Idempotency-Key: dep-$RUN"
call POST "/v1/accounts/$A/deposits" 201 '{"amount":10000}' -H "Idempotency-Key: dep-$RUN"   # the same answer again

echo "== Transfers: one posted, one past the balance"
call POST /v1/transfers 201 "{\"from_account\":\"$A\",\"to_account\":\"$B\",\"amount\":2500,\"currency\":\"USD\",\"description\":\"rent\"}"
call POST /v1/transfers 422 "{\"from_account\":\"$A\",\"to_account\":\"$B\",\"amount\":999999,\"currency\":\"USD\"}"

echo "== Three legs at once, then reversed (once)"
call POST /v1/ledger-transactions 201 "{\"postings\":[{\"from_account\":\"$A\",\"to_account\":\"$B\",\"amount\":1000},{\"from_account\":\"$A\",\"to_account\":\"$C\",\"amount\":500},{\"from_account\":\"$B\",\"to_account\":\"$C\",\"amount\":200,\"currency\":\"USD\"}],\"description\":\"order 7 split\"}" -H "Idempotency-Key: split-$RUN"
LTX="$(field id)"
call POST "/v1/ledger-transactions/$LTX/reverse" 200
call POST "/v1/ledger-transactions/$LTX/reverse" 409

echo "== Two-phase: one posted in part, one voided"
call POST /v1/ledger-transactions 201 "{\"postings\":[{\"from_account\":\"$A\",\"to_account\":\"$B\",\"amount\":300},{\"from_account\":\"$A\",\"to_account\":\"$C\",\"amount\":100}],\"pending\":{\"timeout_seconds\":60}}"
PENDING="$(field id)"
call POST "/v1/ledger-transactions/$PENDING/post" 200 '{"amount":350}'
call POST /v1/ledger-transactions 201 "{\"postings\":[{\"from_account\":\"$A\",\"to_account\":\"$B\",\"amount\":100},{\"from_account\":\"$A\",\"to_account\":\"$C\",\"amount\":100}],\"pending\":{}}"
call POST "/v1/ledger-transactions/$(field id)/void" 200

echo "== A card payment captured in part, then refunded in part"
CARD='"source":{"type":"card","number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}'
call POST /v1/payments 202 "{\"amount\":4200,\"currency\":\"USD\",\"capture_method\":\"manual\",\"description\":\"Order 42\",$CARD}" -H "Idempotency-Key: order-42-$RUN"
PAY="$(field id)"
await_status "/v1/payments/$PAY" requires_capture
call POST "/v1/payments/$PAY/capture" 200 '{"amount":4000}'
call POST "/v1/payments/$PAY/refunds" 202 '{"amount":1000,"reason":"requested_by_customer"}'

echo "== A payment canceled before capture"
call POST /v1/payments 202 "{\"amount\":1200,\"currency\":\"USD\",\"capture_method\":\"manual\",$CARD}"
CANCELED="$(field id)"
await_status "/v1/payments/$CANCELED" requires_capture
call POST "/v1/payments/$CANCELED/cancel" 200

echo "== UPI (declined) and a wallet account as the source"
call POST /v1/payments 202 '{"amount":900,"currency":"INR","source":{"type":"upi","vpa":"failure@upi"}}'
await_status "/v1/payments/$(field id)" failed
call POST /v1/payments 202 "{\"amount\":1500,\"currency\":\"USD\",\"source\":{\"type\":\"account\",\"account\":\"$A\"}}"
await_status "/v1/payments/$(field id)" succeeded

echo "== A refund the card's issuer declines: refund.failed, its hold back on the merchant's balance"
call POST /v1/payments 202 '{"amount":800,"currency":"USD","source":{"type":"card","number":"4000000000005126","exp_month":12,"exp_year":2030,"cvc":"123"}}'
DECLINED="$(field id)"
await_status "/v1/payments/$DECLINED" succeeded
call POST "/v1/payments/$DECLINED/refunds" 202 '{}'
await_status "/v1/payments/$DECLINED/refunds" failed

echo "== A disputed payment: held from the merchant's balance a few seconds after capture, then lost"
call POST /v1/payments 202 '{"amount":600,"currency":"USD","source":{"type":"card","number":"4000000000002685","exp_month":12,"exp_year":2030,"cvc":"123"}}'
DISPUTED="$(field id)"
await_dispute "/v1/payments/$DISPUTED" open
await_dispute "/v1/payments/$DISPUTED" lost
call GET "/v1/payments/$DISPUTED/events" 200

echo "== A balance monitor: fires once when the available balance goes below 1,000, re-arms at 1,200 or more"
call POST /v1/accounts 201 '{"currency":"USD"}'
D="$(field id)"
call POST "/v1/accounts/$D/deposits" 201 '{"amount":2000}'
call POST /v1/balance-monitors 201 "{\"account\":\"$D\",\"condition\":{\"field\":\"available\",\"below\":1000,\"hysteresis\":200}}" \
  -H "Idempotency-Key: monitor-$RUN" -D "${TMPDIR:-/tmp}/walkthrough-$RUN.headers"
BM="$(field id)"
AFTER="$(sed -n 's/^[Ll]edger-[Pp]osition: *\([0-9]*\).*/\1/p' "${TMPDIR:-/tmp}/walkthrough-$RUN.headers")"
rm -f "${TMPDIR:-/tmp}/walkthrough-$RUN.headers"
call POST /v1/transfers 201 "{\"from_account\":\"$D\",\"to_account\":\"$A\",\"amount\":1200,\"currency\":\"USD\"}"   # 800: fires
await_match "/v1/events?type=balance_monitor.triggered&after=$AFTER" "\"id\":\"$BM\""
call POST /v1/transfers 201 "{\"from_account\":\"$D\",\"to_account\":\"$A\",\"amount\":300,\"currency\":\"USD\"}"    # 500: still below, no second trigger
call POST "/v1/accounts/$D/deposits" 201 '{"amount":800}'    # 1,300: past the band, re-armed
await_match "/v1/balance-monitors/$BM" '"state":"armed"'
call GET "/v1/events?type=balance_monitor.triggered&after=$AFTER" 200
if [ "$(count "\"id\":\"$BM\"")" != 1 ]; then echo "the monitor fired more than once" >&2; exit 1; fi
echo "  $BM fired once (trigger_count 1) and is armed again"
call DELETE "/v1/balance-monitors/$BM" 200
call DELETE "/v1/balance-monitors/$BM" 409

echo "== The tamper-evident log: the hash chain verifies from the first event to the head"
call GET /admin/log/verify 200
if ! printf '%s' "$BODY" | grep -qF '"ok":true'; then echo "the log does not verify" >&2; exit 1; fi

echo "== The settlement balance, a payment's history, the transactions as CSV"
call GET /v1/balance 200
call GET "/v1/payments/$PAY/events" 200
call GET "/v1/transactions?type=payment" 200 '' -H 'Accept: text/csv'
await_status "/v1/payments/$PAY" succeeded

echo "Walk-through done: payment $PAY captured and refunded."
