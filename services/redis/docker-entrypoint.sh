#!/bin/bash
# Both roles keep their *state* on the /data volume; the spec's settings apply on every start.
#   redis-server [--option value…] [--replicaof host port]
#       The options are passed on every start. Only the role is state: `--replicaof` is written to
#       /data/redis.conf on the first start, and afterwards Sentinel's CONFIG REWRITE keeps the node's current
#       role there, so a restart does not undo a failover.
#   redis-sentinel
#       /data/sentinel.conf is written from SENTINEL_MASTER_NAME / SENTINEL_MASTER_HOST / SENTINEL_MASTER_PORT /
#       SENTINEL_ANNOUNCE_HOSTNAME on the first start; Sentinel rewrites it with the master, epoch and peers it
#       knows (a restart keeps them). SENTINEL_QUORUM / SENTINEL_DOWN_AFTER_MS / SENTINEL_FAILOVER_TIMEOUT_MS
#       are set in it again on every start.
set -Eeuo pipefail

as_redis() { exec setpriv --reuid=redis --regid=redis --init-groups "$@"; }

# Writes stdin to $1 through a temporary file, so a crash never leaves half a file behind.
write_file() {
  cat > "$1.new"
  chown redis:redis "$1.new"
  mv "$1.new" "$1"
}

# Replaces the line that starts with "$2" in file $1 by "$2 $3", or appends it.
set_line() {
  local file=$1 key=$2 value=$3
  if grep -q "^${key} " "$file"; then
    sed -i -E "s|^${key} .*|${key} ${value}|" "$file"
  else
    echo "${key} ${value}" >> "$file"
  fi
}

case "${1:-}" in
  redis-server)
    shift
    options=()
    replicaof=''
    while [ $# -gt 0 ]; do
      if [ "$1" = --replicaof ]; then
        replicaof="replicaof ${2:?--replicaof needs a host} ${3:?--replicaof needs a port}"
        shift 3
      else
        options+=("$1")
        shift
      fi
    done
    if [ -e /data/redis.conf ]; then
      echo "role from /data/redis.conf (kept since the first start): $(grep -E '^replicaof ' /data/redis.conf || echo master)"
    else
      printf '%s\n' "$replicaof" | write_file /data/redis.conf
    fi
    as_redis redis-server /data/redis.conf "${options[@]}" --bind 0.0.0.0 --protected-mode no --daemonize no --dir /data --logfile ''
    ;;
  redis-sentinel)
    master=${SENTINEL_MASTER_NAME:-mymaster}
    conf=/data/sentinel.conf
    if [ -e "$conf" ]; then
      echo "master, epoch and peers from ${conf} (kept since the first start)"
    else
      {
        cat <<CONF
port 26379
bind 0.0.0.0
protected-mode no
daemonize no
logfile ""
dir /data
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel monitor ${master} ${SENTINEL_MASTER_HOST:?SENTINEL_MASTER_HOST is required} ${SENTINEL_MASTER_PORT:-6379} ${SENTINEL_QUORUM:-2}
sentinel parallel-syncs ${master} 1
CONF
        if [ -n "${SENTINEL_ANNOUNCE_HOSTNAME:-}" ]; then echo "sentinel announce-ip ${SENTINEL_ANNOUNCE_HOSTNAME}"; fi
      } | write_file "$conf"
    fi
    sed -i -E "s|^(sentinel monitor ${master} [^ ]+ [0-9]+) [0-9]+$|\1 ${SENTINEL_QUORUM:-2}|" "$conf"
    set_line "$conf" "sentinel down-after-milliseconds ${master}" "${SENTINEL_DOWN_AFTER_MS:-5000}"
    set_line "$conf" "sentinel failover-timeout ${master}" "${SENTINEL_FAILOVER_TIMEOUT_MS:-10000}"
    as_redis redis-sentinel "$conf"
    ;;
  *)
    exec "$@"
    ;;
esac
