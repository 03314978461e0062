#!/bin/bash
# Writes the Erlang cookie (RABBITMQ_ERLANG_COOKIE, else a random one kept in the data dir) and the
# default user (RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS, else guest/guest), then runs
# rabbitmq-server as the rabbitmq user.
set -Eeuo pipefail

if [ "${1:-}" = rabbitmq-server ]; then
  cookie_file=/var/lib/rabbitmq/.erlang.cookie
  if [ -n "${RABBITMQ_ERLANG_COOKIE:-}" ]; then
    printf '%s' "$RABBITMQ_ERLANG_COOKIE" > "$cookie_file"
  elif [ ! -s "$cookie_file" ]; then
    od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$cookie_file"
  fi
  chown rabbitmq:rabbitmq "$cookie_file"; chmod 0400 "$cookie_file"
  # The cookie must also be where rabbitmqctl looks when run as root through `docker exec`.
  cp "$cookie_file" /root/.erlang.cookie; chmod 0400 /root/.erlang.cookie

  {
    cat /etc/rabbitmq/refstack.conf
    echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
    echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
  } > /etc/rabbitmq/rabbitmq.conf
  chown -R rabbitmq:rabbitmq /etc/rabbitmq /var/lib/rabbitmq
  shift
  # Debian's /usr/sbin/rabbitmq-server wrapper sends the log to /var/log/rabbitmq/startup_log; the
  # real script logs to stdout (RABBITMQ_LOGS=-), where `docker logs` and wait strategies see it.
  cd /var/lib/rabbitmq
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
exec "$@"
