#!/usr/bin/env bash
# The services this kind of machine runs before a session (PostgreSQL, Redis, Mosquitto):
# start any that is not answering, with the same commands the machine uses, and wait for it.
# Installs a missing one from Debian's packages (apt-get update first) so that a fresh machine
# works too.
set -euo pipefail

log() { printf 'local.sh: %s\n' "$*" >&2; }
updated=0
apt_install() {
  if [ "$updated" -eq 0 ]; then
    apt-get update -qq
    updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do
    port_open "$port" && return 0
    sleep 1
  done
  log "$name did not open port $port within 60 s"
  return 1
}

# PostgreSQL on 5432 (trust auth on 127.0.0.1 on this kind of machine).
if ! port_open 5432; then
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  log 'starting PostgreSQL'
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  wait_port 5432 PostgreSQL
fi

# Redis on 6379.
if ! port_open 6379; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  log 'starting Redis'
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_port 6379 Redis
fi

# Mosquitto on 1883.
if ! port_open 1883; then
  command -v mosquitto >/dev/null 2>&1 || apt_install mosquitto
  log 'starting Mosquitto'
  mosquitto -d -c /etc/mosquitto/mosquitto.conf
  wait_port 1883 Mosquitto
fi
log 'PostgreSQL 5432, Redis 6379 and Mosquitto 1883 answer'
