#!/usr/bin/env bash
# Installs what the browser test (web/test) needs, idempotently:
#   - Debian's Chromium at /usr/bin/chromium (override with CHROMIUM=/path);
#   - web/node_modules from web/package-lock.json (npm ci), redone only when
#     the lock file changed since the last install.
# No tool downloads a browser of its own: playwright-core drives the system
# Chromium, and PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD is set for npm as a guard.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
web="$root/web"
chromium="${CHROMIUM:-/usr/bin/chromium}"

log() { echo "browser-deps: $*"; }

# Chromium --------------------------------------------------------------------
if [ -x "$chromium" ]; then
  log "chromium present: $chromium ($("$chromium" --version 2>/dev/null || echo 'version unknown'))"
else
  if ! command -v apt-get >/dev/null 2>&1; then
    log "error: $chromium missing and apt-get unavailable; install Chromium and set CHROMIUM=/path" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      log "error: $chromium missing and not root (no sudo) to install it" >&2
      exit 1
    fi
  fi
  log "chromium missing: apt-get update && apt-get install -y chromium"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
  if [ ! -x "$chromium" ]; then
    log "error: chromium installed but $chromium not found" >&2
    exit 1
  fi
  log "installed: $("$chromium" --version 2>/dev/null || echo chromium)"
fi

# Node and npm ----------------------------------------------------------------
for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "error: $tool not found; install Node.js 20 or newer" >&2
    exit 1
  fi
done

# web/node_modules --------------------------------------------------------------
lock="$web/package-lock.json"
if [ ! -f "$lock" ]; then
  log "error: $lock missing (it is committed; run npm install in web/ to recreate it)" >&2
  exit 1
fi
stamp="$web/node_modules/.ahca-lock.sha256"
want="$(sha256sum "$lock" | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [ -d "$web/node_modules" ] && [ "$want" = "$have" ]; then
  log "web/node_modules up to date with package-lock.json"
else
  if [ -d "$web/node_modules" ]; then
    log "package-lock.json changed: npm ci in web/"
  else
    log "web/node_modules missing: npm ci in web/"
  fi
  (cd "$web" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  echo "$want" >"$stamp"
  log "npm ci done"
fi
