#!/bin/bash
# redis-server runs with the container's settings (no daemon, no protected mode, logs to stdout);
# redis-sentinel gets a writable config made from SENTINEL_MASTER_NAME / SENTINEL_MASTER_HOST /
# SENTINEL_MASTER_PORT / SENTINEL_QUORUM / SENTINEL_DOWN_AFTER_MS / SENTINEL_FAILOVER_TIMEOUT_MS.
set -Eeuo pipefail

as_redis() { exec setpriv --reuid=redis --regid=redis --init-groups "$@"; }

case "${1:-}" in
  redis-server)
    shift
    as_redis redis-server --bind 0.0.0.0 --protected-mode no --daemonize no --dir /data --logfile '' "$@"
    ;;
  redis-sentinel)
    conf=/etc/redis/sentinel.conf
    cat > "$conf" <<CONF
port 26379
bind 0.0.0.0
protected-mode no
daemonize no
logfile ""
dir /data
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel monitor ${SENTINEL_MASTER_NAME:-mymaster} ${SENTINEL_MASTER_HOST:?SENTINEL_MASTER_HOST is required} ${SENTINEL_MASTER_PORT:-6379} ${SENTINEL_QUORUM:-1}
sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME:-mymaster} ${SENTINEL_DOWN_AFTER_MS:-5000}
sentinel failover-timeout ${SENTINEL_MASTER_NAME:-mymaster} ${SENTINEL_FAILOVER_TIMEOUT_MS:-10000}
sentinel parallel-syncs ${SENTINEL_MASTER_NAME:-mymaster} 1
CONF
    if [ -n "${SENTINEL_ANNOUNCE_HOSTNAME:-}" ]; then echo "sentinel announce-ip ${SENTINEL_ANNOUNCE_HOSTNAME}" >> "$conf"; fi
    chown redis:redis "$conf"
    as_redis redis-sentinel "$conf"
    ;;
  *)
    exec "$@"
    ;;
esac
