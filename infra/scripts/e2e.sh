#!/usr/bin/env bash
# Runs the real-browser test: builds the operator CLI, starts `ahca dev` on a
# free port with the embedded store, runs web/test against it in Debian's
# Chromium (the widget test opens the dev server's demo site on the same port
# as http://localhost:<port>, a second origin), and stops the server. Installs Chromium and web/node_modules first
# (infra/scripts/browser-deps.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bash infra/scripts/browser-deps.sh
mkdir -p bin
go build -o bin/ahca ./infra/ahca
log="$(mktemp)"
bin/ahca dev --addr 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's#^  web client:  \(http://[^ ]*\)/$#\1#p' "$log")"
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "e2e: ahca dev exited:" >&2; cat "$log" >&2; exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "e2e: ahca dev did not start in 10 s:" >&2; cat "$log" >&2; exit 1
fi
echo "e2e: local stack at $url"
cd web
AHCA_DEV_URL="$url" npm test
