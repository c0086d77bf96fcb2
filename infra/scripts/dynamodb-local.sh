#!/usr/bin/env bash
# DynamoDB Local for tests and local runs (docs/development.md).
#
# AWS's DynamoDB Local jar is taken from the npm package
# amplify-dynamodb-simulator (package/emulator/DynamoDBLocal.jar plus
# DynamoDBLocal_lib) and run on the machine's Java. Downloads live in a
# cache outside the repository.
#
#   dynamodb-local.sh install   fetch the jar (idempotent) and make sure java exists
#   dynamodb-local.sh start     install if needed, start on a free port, wait until it
#                               answers, print `export AHCA_DYNAMODB_ENDPOINT=...` on stdout
#   dynamodb-local.sh stop      stop the instance started by `start`
#   dynamodb-local.sh status    print the endpoint of the running instance, exit 1 if none
#
# Typical use (all progress goes to stderr, only the export line to stdout):
#   eval "$(bash infra/scripts/dynamodb-local.sh start)"
#   go test ./...
#   bash infra/scripts/dynamodb-local.sh stop
#
# Environment:
#   AHCA_CACHE             cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/ahca)
#   AHCA_DYNAMODB_PORT     port to use instead of a free one
#   AHCA_DYNAMODB_RUN_DIR  where the pid, port and log files go (default <cache>/dynamodb-local/run)
set -euo pipefail

readonly NAME=dynamodb-local
readonly PKG_NAME=amplify-dynamodb-simulator
readonly PKG_VERSION=2.9.30
RUN_DIR="${AHCA_DYNAMODB_RUN_DIR:-}"

# The paths (PKG_DIR, RUN_DIR, PID_FILE, LOG_FILE, …), log, die, answers;
# and, run at the end, cmd_start, cmd_stop, cmd_status, run_command.
# shellcheck source=infra/scripts/lib.sh
. "$(dirname "$0")/lib.sh"
readonly EMULATOR_DIR="$PKG_DIR/package/emulator"
readonly JAR="$EMULATOR_DIR/DynamoDBLocal.jar"

# as_root runs a command as root: directly when we are root, else with sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root to run: $* (not root and no sudo)"
	fi
}

ensure_java() {
	if command -v java >/dev/null 2>&1; then
		return
	fi
	command -v apt-get >/dev/null 2>&1 ||
		die "java not found and apt-get not available: install a Java 17 runtime"
	log "java not found: running apt-get update && apt-get install -y openjdk-17-jre-headless"
	as_root apt-get update >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless >&2
	command -v java >/dev/null 2>&1 || die "openjdk-17-jre-headless installed but java is still not on PATH"
}

ensure_jar() {
	if [ -f "$JAR" ] && [ -d "$EMULATOR_DIR/DynamoDBLocal_lib" ]; then
		return
	fi
	command -v npm >/dev/null 2>&1 || die "npm not found: it is needed to fetch $PKG_NAME@$PKG_VERSION"
	mkdir -p "$BASE_DIR"
	local tmp tgz
	tmp="$(mktemp -d "$BASE_DIR/.install.XXXXXX")"
	# shellcheck disable=SC2064 # expand $tmp now
	trap "rm -rf '$tmp'" EXIT
	log "fetching $PKG_NAME@$PKG_VERSION with npm pack into $PKG_DIR"
	# npm pack downloads only the package tarball (integrity-checked against
	# the registry), not the package's dependency tree.
	(cd "$tmp" && npm pack --silent "$PKG_NAME@$PKG_VERSION" >/dev/null) ||
		die "npm pack $PKG_NAME@$PKG_VERSION failed"
	tgz="$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n 1)"
	[ -n "$tgz" ] || die "npm pack produced no tarball"
	tar -xzf "$tgz" -C "$tmp"
	[ -f "$tmp/package/emulator/DynamoDBLocal.jar" ] ||
		die "$PKG_NAME@$PKG_VERSION has no package/emulator/DynamoDBLocal.jar"
	[ -d "$tmp/package/emulator/DynamoDBLocal_lib" ] ||
		die "$PKG_NAME@$PKG_VERSION has no package/emulator/DynamoDBLocal_lib"
	rm -f "$tgz"
	rm -rf "$PKG_DIR"
	mkdir -p "$PKG_DIR"
	mv "$tmp/package" "$PKG_DIR/package"
	rm -rf "$tmp"
	trap - EXIT
	log "installed $JAR"
}

cmd_install() {
	ensure_java
	ensure_jar
	log "ready: $JAR ($(java -version 2>&1 | head -n 1))"
}

# Settings lib.sh reads.
HEALTH_CHECK=/
HEALTH_ANY_STATUS=1
EMULATOR_NAME="DynamoDB Local"
PROC_MATCH="DynamoDBLocal.jar"
ENDPOINT_VAR=AHCA_DYNAMODB_ENDPOINT
FIXED_PORT="${AHCA_DYNAMODB_PORT:-}"

# prepare installs what launch needs.
prepare() {
	ensure_java
	ensure_jar
}

# launch runs DynamoDB Local on port $1 in the foreground of a subshell.
# -sharedDb: one database whatever the client's access key and region, so
# every local client sees the same tables. -disableTelemetry: no calls home.
# It runs in $RUN_DIR because it writes dynamodb-local-metadata.json into its
# working directory.
launch() {
	cd "$RUN_DIR"
	exec nohup java -Djava.library.path="$EMULATOR_DIR/DynamoDBLocal_lib" \
		-jar "$JAR" -inMemory -sharedDb -disableTelemetry -port "$1" \
		</dev/null >"$LOG_FILE" 2>&1
}

run_command "${1:-}"
