# Helpers shared by the benchmark scripts that start their own broker and bridges
# (uplink-limits.sh, reconnect-storm.sh). Sourced, not run. They expect PID (an associative array of
# the processes started), KB (the broker's pid) and WORK (a temporary directory) in the caller.

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# stop PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default STOP_SECONDS, else 30) if it is
# still there.
stop() {
  [[ -z ${1:-} ]] && return 0
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq $(( ${2:-${STOP_SECONDS:-30}} * 10 ))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

# Stops every process in PID and the broker, removes WORK: the EXIT trap of each script.
stop_all() {
  for p in "${PID[@]}"; do stop "$p"; done
  stop "$KB"
  rm -rf "$WORK"
}

# require_free_ports PORT...: exits when one of them is taken (another run, or a bridge left running).
require_free_ports() {
  for port in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then log "port $port is in use"; exit 1; fi
  done
}
