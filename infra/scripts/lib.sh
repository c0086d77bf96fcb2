# Functions shared by the local emulator scripts (dynamodb-local.sh,
# ses-local.sh). Sourced once the script has set NAME (the script's name,
# which names its log prefix, cache folder and run files), PKG_NAME,
# PKG_VERSION and RUN_DIR (empty: <cache>/NAME/run); it sets the paths
# below and log, die and answers. Before run_command the script defines
# prepare, launch, cmd_install, EMULATOR_NAME, PROC_MATCH (a string in the
# process's command line), ENDPOINT_VAR, FIXED_PORT (empty: pick a free
# port), HEALTH_CHECK (the path answers asks for) and HEALTH_ANY_STATUS
# (non-empty: an HTTP error status counts as an answer).

readonly CACHE_ROOT="${AHCA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ahca}"
readonly BASE_DIR="$CACHE_ROOT/$NAME"
readonly PKG_DIR="$BASE_DIR/$PKG_NAME-$PKG_VERSION"
RUN_DIR="${RUN_DIR:-$BASE_DIR/run}"
readonly RUN_DIR
readonly PID_FILE="$RUN_DIR/$NAME.pid"
readonly PORT_FILE="$RUN_DIR/$NAME.port"
readonly LOG_FILE="$RUN_DIR/$NAME.log"
readonly START_TIMEOUT=30 # seconds until the emulator must answer HTTP

log() { printf '%s: %s\n' "$NAME" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# answers reports whether the emulator answers HEALTH_CHECK on
# 127.0.0.1:$1 (without curl: whether the port accepts connections).
answers() {
	if ! command -v curl >/dev/null 2>&1; then
		port_in_use "$1"
	elif [ -n "${HEALTH_ANY_STATUS:-}" ]; then
		curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1$HEALTH_CHECK"
	else
		curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$1$HEALTH_CHECK"
	fi
}

# port_in_use reports whether something accepts connections on 127.0.0.1:$1.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
		return
	fi
	local p i
	for i in $(seq 1 100); do
		p=$((20000 + RANDOM % 20000))
		if ! port_in_use "$p"; then
			echo "$p"
			return
		fi
	done
	die "no free port found"
}

# running_pid prints the pid from PID_FILE if that process is alive and is
# the emulator.
running_pid() {
	[ -f "$PID_FILE" ] || return 1
	local pid
	pid="$(cat "$PID_FILE")"
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	if [ -r "/proc/$pid/cmdline" ]; then
		tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$PROC_MATCH" || return 1
	fi
	echo "$pid"
}

# print_export prints the one stdout line: the endpoint for port $1.
print_export() {
	echo "export $ENDPOINT_VAR=http://127.0.0.1:$1"
}

# cmd_start starts the emulator on a free port (or FIXED_PORT) unless it is
# running, waits until it answers, and prints the export line. Its
# stdin/stdout/stderr are detached so `$(... start)` returns at once.
cmd_start() {
	local pid port
	if pid="$(running_pid)" && [ -f "$PORT_FILE" ] && answers "$(cat "$PORT_FILE")"; then
		port="$(cat "$PORT_FILE")"
		log "already running (pid $pid) on port $port"
		print_export "$port"
		return
	fi
	prepare
	mkdir -p "$RUN_DIR"
	rm -f "$PID_FILE" "$PORT_FILE"

	local attempt deadline
	for attempt in 1 2 3; do
		port="${FIXED_PORT:-$(free_port)}"
		log "starting $EMULATOR_NAME on 127.0.0.1:$port (log: $LOG_FILE)"
		(launch "$port") &
		pid=$!
		echo "$pid" >"$PID_FILE"
		deadline=$((SECONDS + START_TIMEOUT))
		while [ "$SECONDS" -lt "$deadline" ]; do
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
			if answers "$port"; then
				echo "$port" >"$PORT_FILE"
				log "up (pid $pid) after ${SECONDS}s"
				print_export "$port"
				return
			fi
			sleep 0.2
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			rm -f "$PID_FILE"
			tail -n 20 "$LOG_FILE" >&2 || true
			die "$EMULATOR_NAME did not answer on port $port within ${START_TIMEOUT}s"
		fi
		rm -f "$PID_FILE"
		log "$EMULATOR_NAME exited during start (attempt $attempt):"
		tail -n 20 "$LOG_FILE" >&2 || true
		[ -z "$FIXED_PORT" ] || break # a fixed port will not get better
	done
	die "could not start $EMULATOR_NAME"
}

cmd_stop() {
	local pid i
	if ! pid="$(running_pid)"; then
		log "not running"
		rm -f "$PID_FILE" "$PORT_FILE"
		return
	fi
	kill "$pid" 2>/dev/null || true
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "pid $pid did not stop after 5s: sending SIGKILL"
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$PID_FILE" "$PORT_FILE"
	log "stopped (pid $pid)"
}

cmd_status() {
	local pid
	if pid="$(running_pid)" && [ -f "$PORT_FILE" ]; then
		log "running (pid $pid)"
		print_export "$(cat "$PORT_FILE")"
		return
	fi
	log "not running"
	return 1
}

# run_command dispatches the script's subcommand; the script defines
# cmd_install and cmd_start.
run_command() {
	case "$1" in
	install) cmd_install ;;
	start) cmd_start ;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	*)
		echo "usage: $0 install|start|stop|status" >&2
		exit 2
		;;
	esac
}
