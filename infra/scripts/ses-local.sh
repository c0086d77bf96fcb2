#!/usr/bin/env bash
# Amazon SES v2 emulator for tests and local runs (pkg/email).
#
# The npm package aws-ses-v2-local (an Express server speaking the SES v2
# REST API: SendEmail with Simple, Raw and Template content) is installed
# with its dependencies into a cache outside the repository and run on the
# machine's Node.js. Sent mail is kept in memory and readable at GET /store
# (JSON) or in a browser at /.
#
#   ses-local.sh install   install the package (idempotent) and check node
#   ses-local.sh start     install if needed, start on a free port, wait until it
#                          answers, print `export AHCA_SES_ENDPOINT=...` on stdout
#   ses-local.sh stop      stop the instance started by `start`
#   ses-local.sh status    print the endpoint of the running instance, exit 1 if none
#
# Typical use (all progress goes to stderr, only the export line to stdout):
#   eval "$(bash infra/scripts/ses-local.sh start)"
#   go test ./pkg/email/...
#   bash infra/scripts/ses-local.sh stop
#
# Environment:
#   AHCA_CACHE        cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/ahca)
#   AHCA_SES_PORT     port to use instead of a free one
#   AHCA_SES_RUN_DIR  where the pid, port and log files go (default <cache>/ses-local/run)
set -euo pipefail

readonly NAME=ses-local
readonly PKG_NAME=aws-ses-v2-local
readonly PKG_VERSION=2.10.2
# The package's yargs 18 requires node ^20.19 || ^22.12 || >=23.
readonly NODE_RANGE="^20.19 || ^22.12 || >=23"
RUN_DIR="${AHCA_SES_RUN_DIR:-}"

# The paths (PKG_DIR, RUN_DIR, PID_FILE, LOG_FILE, …), log, die, answers;
# and, run at the end, cmd_start, cmd_stop, cmd_status, run_command.
# shellcheck source=infra/scripts/lib.sh
. "$(dirname "$0")/lib.sh"
readonly CLI="$PKG_DIR/node_modules/$PKG_NAME/dist/cli.js"

ensure_node() {
	command -v node >/dev/null 2>&1 || die "node not found: install Node.js $NODE_RANGE"
	command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js $NODE_RANGE with npm"
	node -e 'const [a, b] = process.versions.node.split(".").map(Number);
		process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a >= 23 ? 0 : 1)' ||
		die "node $(node --version) cannot run $PKG_NAME@$PKG_VERSION: need $NODE_RANGE"
}

ensure_pkg() {
	if [ -f "$CLI" ]; then
		return
	fi
	mkdir -p "$BASE_DIR"
	local tmp
	tmp="$(mktemp -d "$BASE_DIR/.install.XXXXXX")"
	# shellcheck disable=SC2064 # expand $tmp now
	trap "rm -rf '$tmp'" EXIT
	log "installing $PKG_NAME@$PKG_VERSION with npm into $PKG_DIR"
	# A private package.json so npm installs here and nowhere else; the
	# package and its runtime dependencies only (no dev dependencies, no
	# install scripts: the package is plain prebuilt JavaScript).
	printf '{"name":"ahca-ses-local","private":true}\n' >"$tmp/package.json"
	(cd "$tmp" && npm install --silent --no-audit --no-fund --omit=dev --ignore-scripts \
		--save-exact "$PKG_NAME@$PKG_VERSION" >&2) ||
		die "npm install $PKG_NAME@$PKG_VERSION failed"
	[ -f "$tmp/node_modules/$PKG_NAME/dist/cli.js" ] ||
		die "$PKG_NAME@$PKG_VERSION has no dist/cli.js"
	rm -rf "$PKG_DIR"
	mv "$tmp" "$PKG_DIR"
	trap - EXIT
	log "installed $CLI"
}

cmd_install() {
	ensure_node
	ensure_pkg
	log "ready: $PKG_NAME@$PKG_VERSION (node $(node --version))"
}

# Settings lib.sh reads.
HEALTH_CHECK=/health-check
EMULATOR_NAME="$PKG_NAME"
PROC_MATCH="$PKG_NAME"
ENDPOINT_VAR=AHCA_SES_ENDPOINT
FIXED_PORT="${AHCA_SES_PORT:-}"

# prepare installs what launch needs.
prepare() {
	ensure_node
	ensure_pkg
}

# launch runs the emulator on port $1 in the foreground of a subshell.
# --host 127.0.0.1: its default is "::" (every interface, and it fails where
# IPv6 is disabled). SMTP_TRANSPORT is cleared so mail is only stored, never
# forwarded.
launch() {
	cd "$RUN_DIR"
	exec env -u SMTP_TRANSPORT nohup node "$CLI" --host 127.0.0.1 --port "$1" \
		</dev/null >"$LOG_FILE" 2>&1
}

run_command "${1:-}"
