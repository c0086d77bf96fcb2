#!/usr/bin/env bash
# End-to-end test of the real Lambda binaries (docs/development.md):
# `ahca dev --lambdas` runs every route through the bootstraps built from
# functions/*, each under the AWS Lambda Runtime Interface Emulator with
# template.yaml's environment, against DynamoDB Local (its stream feeding
# email-summary), the SES emulator and in-process S3/SSM/Secrets Manager
# stand-ins. Then:
#   1. a phone call (ahca call) with the emergency transfer to the on-call
#      number, which twilio-voice reads from the SSM stand-in;
#   2. its one summary email, sent by email-summary through SES v2 and read
#      back from the SES emulator's GET /store;
#   3. the browser test (web/test) in Chromium, as infra/scripts/e2e.sh runs it;
#   4. a clean shutdown, with every function invoked and no stream batch
#      given up on.
# The emulators are private instances (their own run directories), so the
# ones other work started are left alone. Installs aws-lambda-rie
# (infra/scripts/lambda-rie.sh) when missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

log() { echo "e2e-lambdas: $*" >&2; }
start=$SECONDS
lap() { log "$1 (${SECONDS}s so far)"; }

bash infra/scripts/lambda-rie.sh install
rie="$(bash infra/scripts/lambda-rie.sh path)"

tmp="$(mktemp -d)"
dev_pid=""
export AHCA_DYNAMODB_RUN_DIR="$tmp/dynamodb" AHCA_SES_RUN_DIR="$tmp/ses"
cleanup() {
  if [ -n "$dev_pid" ]; then kill "$dev_pid" 2>/dev/null || true; wait "$dev_pid" 2>/dev/null || true; fi
  bash infra/scripts/dynamodb-local.sh stop 2>/dev/null || true
  bash infra/scripts/ses-local.sh stop 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# The emulators start while the CLI builds; a busy machine gets a second
# chance (the scripts wait 30 s for an answer).
start_emulator() {
  bash "infra/scripts/$1.sh" start >"$tmp/$1.env" 2>"$tmp/$1.log" ||
    { log "$1 did not start; retrying"; bash "infra/scripts/$1.sh" stop 2>/dev/null || true
      bash "infra/scripts/$1.sh" start >"$tmp/$1.env" 2>>"$tmp/$1.log"; }
}
start_emulator dynamodb-local &
ddb_pid=$!
start_emulator ses-local &
ses_pid=$!
bash infra/scripts/browser-deps.sh
mkdir -p bin
go build -o bin/ahca ./infra/ahca
wait "$ddb_pid" || { cat "$tmp/dynamodb-local.log" >&2; exit 1; }
wait "$ses_pid" || { cat "$tmp/ses-local.log" >&2; exit 1; }
# shellcheck disable=SC1091
. "$tmp/dynamodb-local.env"
# shellcheck disable=SC1091
. "$tmp/ses-local.env"
lap "emulators up: DynamoDB Local $AHCA_DYNAMODB_ENDPOINT, SES $AHCA_SES_ENDPOINT"

# The on-call number Superior Fencing's emergency transfer dials: its
# config references ssm:/ahca/{stage}/superior-fencing/on-call-phone, which
# the SSM stand-in serves from this variable.
out="$tmp/dev.out" errlog="$tmp/dev.err"
SUPERIOR_FENCING_ON_CALL_PHONE=+15035550111 bin/ahca dev --lambdas --no-llm --rie "$rie" --addr 127.0.0.1:0 \
  --data "$tmp/data" --table ahca-e2e >"$out" 2>"$errlog" &
dev_pid=$!
url=""
for _ in $(seq 1 1800); do # the first build of the bootstraps on a cold cache takes a while
  url="$(sed -n 's#^  web client:  \(http://[^ ]*\)/$#\1#p' "$out")"
  [ -n "$url" ] && break
  if ! kill -0 "$dev_pid" 2>/dev/null; then
    log "ahca dev --lambdas exited:"; cat "$out" "$errlog" >&2; exit 1
  fi
  sleep 0.2
done
if [ -z "$url" ]; then log "ahca dev --lambdas did not start in 6 minutes:"; cat "$out" "$errlog" >&2; exit 1; fi
lap "stack up at $url"

fail() { log "FAIL: $*"; log "ahca dev log:"; tail -n 80 "$errlog" >&2; exit 1; }

# 1. A phone call: intake, then # for the on-call crew, dialled and answered.
printf 'My fence blew down\nJamie Rivera\n#\n' >"$tmp/call.txt"
timeout 120 bin/ahca call --url "$url" --to +15035550142 --from +15415550100 --script "$tmp/call.txt" >"$tmp/call.out" 2>&1 ||
  { cat "$tmp/call.out" >&2; fail "ahca call failed"; }
for want in 'agent: Got it' 'relay ends: {"reason":"emergency"}' 'callerId="+15415550100"' '>+15035550111</Dial>' 'twilio hangs up'; do
  grep -qF "$want" "$tmp/call.out" || { cat "$tmp/call.out" >&2; fail "the call lacks: $want"; }
done
lap "phone call with the emergency transfer passed"

# 2. Its summary email, through the stream, email-summary and SES v2.
emails() { curl -sf "$AHCA_SES_ENDPOINT/store"; }
count_call_emails() {
  emails | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const mails = JSON.parse(s).emails || [];
      const hits = mails.filter((m) => (m.destination.to || []).includes("office@superior-fence.example") &&
        /Jamie.Rivera/.test(m.subject) && /fence blew down/i.test(m.body.text || ""));
      console.log(hits.length);
    });'
}
n=0
for _ in $(seq 1 150); do
  n="$(count_call_emails)"
  [ "$n" -ge 1 ] && break
  sleep 0.2
done
[ "$n" = 1 ] || fail "want exactly one summary email for the call in the SES emulator, found $n"
lap "one summary email for the call in the SES emulator"

# 3. The browser test against the same stack.
(cd web && AHCA_DEV_URL="$url" npm test) || fail "browser test"
lap "browser test passed"

# 4. Shutdown: open sessions end, the stream drains, the emulators stop.
kill -INT "$dev_pid"
code=0
wait "$dev_pid" || code=$?
dev_pid=""
[ "$code" = 0 ] || fail "ahca dev exited $code"
for fn in ws-connect ws-message ws-disconnect twilio-voice email-summary; do
  grep -q "^\[$fn\] " "$errlog" || fail "$fn was never invoked"
done
if grep -q 'stream: batch sent to the failure destination\|"level":"ERROR".*"msg":"route handler failed"' "$errlog"; then
  fail "a stream batch was given up on, or a route failed"
fi
log "passed in $((SECONDS - start))s"
