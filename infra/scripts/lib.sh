# Functions shared by the local emulator scripts (dynamodb-local.sh,
# ses-local.sh). Sourced after the script has defined log, die, PID_FILE,
# PORT_FILE, running_pid and print_export.

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
