#!/usr/bin/env bash
# A private InfluxDB 1.x (Debian's package) for the integration tier, on our own port so it
# never collides with a system InfluxDB on 8086. Idempotent: running it again while InfluxDB
# answers changes nothing and prints the URL again.
#
# Usage: .ci/services/influxdb.sh [up|start|stop|restart]
#   up (default), start: install if missing, start if nothing answers /ping, wait, print the URL
#   stop:                stop the influxd this script started (integration tests use it to
#                        simulate an outage); its data is kept, so `start` brings it back intact
# Environment: NILM_INFLUX_PORT (default 18086), NILM_INFLUX_DIR (default $TMPDIR/nilm-influxdb-PORT).
set -euo pipefail

port="${NILM_INFLUX_PORT:-18086}"
# The RPC (backup/restore) port defaults to 8088 in InfluxDB; move it too so a system InfluxDB
# can run beside ours.
rpc_port=$((port + 2))
base="${NILM_INFLUX_DIR:-${TMPDIR:-/tmp}/nilm-influxdb-$port}"
conf="$base/influxdb.conf"
pidfile="$base/influxd.pid"
logfile="$base/influxd.log"
url="http://127.0.0.1:$port"
wait_s=60

log() { printf 'influxdb.sh: %s\n' "$*" >&2; }

answers() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 2 "$url/ping" 2>/dev/null
  else
    node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
      .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$url/ping"
  fi
}

our_pid() {
  # Prints the pid of the influxd we started, if it is still that process.
  [ -f "$pidfile" ] || return 1
  local pid
  pid="$(cat "$pidfile")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "influxd -config $conf" || return 1
  echo "$pid"
}

install() {
  command -v influxd >/dev/null 2>&1 && return 0
  local sudo=''
  [ "$(id -u)" -eq 0 ] || sudo='sudo'
  log 'installing Debian package influxdb'
  # apt's output goes to stderr: `up` prints only the URL on stdout, for $(...) callers.
  if ! apt-cache show influxdb >/dev/null 2>&1; then
    $sudo apt-get update >&2
  fi
  # Debian's postinst may start the system service on 8086; that one is not ours and is
  # left alone (different ports, different data directory).
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y influxdb >&2
}

write_config() {
  mkdir -p "$base/meta" "$base/data" "$base/wal"
  cat >"$conf" <<EOF
# Written by .ci/services/influxdb.sh; overwritten on every start.
reporting-enabled = false
bind-address = "127.0.0.1:$rpc_port"

[meta]
  dir = "$base/meta"

[data]
  dir = "$base/data"
  wal-dir = "$base/wal"
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$port"
  auth-enabled = false
  log-enabled = false

[continuous_queries]
  enabled = false
EOF
}

start() {
  if answers; then
    echo "$url"
    return 0
  fi
  install
  write_config
  log "starting influxd on $url (data in $base, log in $logfile)"
  setsid nohup influxd -config "$conf" >>"$logfile" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$pidfile"
  local deadline=$((SECONDS + wait_s))
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "influxd exited during start-up; last lines of $logfile:"
      tail -n 20 "$logfile" >&2
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "influxd did not answer $url/ping within ${wait_s}s; last lines of $logfile:"
      tail -n 20 "$logfile" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "$url"
}

stop() {
  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$pidfile"
    if answers; then
      log "something answers $url but it was not started by this script; not stopping it"
      exit 1
    fi
    log 'not running'
    return 0
  fi
  kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "influxd $pid ignored SIGTERM for 30s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$pidfile"
  log "stopped influxd $pid"
}

case "${1:-up}" in
  up | start) start ;;
  stop) stop ;;
  restart)
    stop
    start
    ;;
  *)
    log "unknown argument '$1' (expected up, start, stop or restart)"
    exit 2
    ;;
esac
