#!/bin/bash
# Both roles keep their configuration on the /data volume and write it on the first start only:
#   redis-server [--option value…]  the options become /data/redis.conf; afterwards Sentinel's CONFIG REWRITE
#                                    keeps the node's current role there (a restart does not undo a failover).
#   redis-sentinel                   /data/sentinel.conf from SENTINEL_MASTER_NAME / SENTINEL_MASTER_HOST /
#                                    SENTINEL_MASTER_PORT / SENTINEL_QUORUM / SENTINEL_DOWN_AFTER_MS /
#                                    SENTINEL_FAILOVER_TIMEOUT_MS / SENTINEL_ANNOUNCE_HOSTNAME; Sentinel rewrites
#                                    it with the master, epoch and peers it knows (a restart keeps them).
# Changing the options of an existing node therefore needs a fresh volume (`refstack down` removes it).
set -Eeuo pipefail

as_redis() { exec setpriv --reuid=redis --regid=redis --init-groups "$@"; }

# --key v1 v2 --other v → one "key "v1" "v2"" line per option (redis.conf syntax).
options_to_conf() {
  local line=''
  for arg in "$@"; do
    if [[ $arg == --* ]]; then
      [ -n "$line" ] && printf '%s\n' "$line"
      line="${arg#--}"
    else
      line+=" \"${arg}\""
    fi
  done
  [ -n "$line" ] && printf '%s\n' "$line"
  return 0
}

write_once() {
  local conf=$1
  if [ -s "$conf" ]; then
    cat > /dev/null
    echo "keeping ${conf} from an earlier start (delete the volume for a fresh one)"
  else
    cat > "${conf}.new"
    mv "${conf}.new" "$conf"
    chown redis:redis "$conf"
  fi
}

case "${1:-}" in
  redis-server)
    shift
    options_to_conf "$@" | write_once /data/redis.conf
    as_redis redis-server /data/redis.conf --bind 0.0.0.0 --protected-mode no --daemonize no --dir /data --logfile ''
    ;;
  redis-sentinel)
    master=${SENTINEL_MASTER_NAME:-mymaster}
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
sentinel down-after-milliseconds ${master} ${SENTINEL_DOWN_AFTER_MS:-5000}
sentinel failover-timeout ${master} ${SENTINEL_FAILOVER_TIMEOUT_MS:-10000}
sentinel parallel-syncs ${master} 1
CONF
      if [ -n "${SENTINEL_ANNOUNCE_HOSTNAME:-}" ]; then echo "sentinel announce-ip ${SENTINEL_ANNOUNCE_HOSTNAME}"; fi
    } | write_once /data/sentinel.conf
    as_redis redis-sentinel /data/sentinel.conf
    ;;
  *)
    exec "$@"
    ;;
esac
