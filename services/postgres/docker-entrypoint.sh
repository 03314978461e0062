#!/bin/bash
# Behaves like the official postgres image's entrypoint for the parts refstack relies on:
# first start initialises PGDATA from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, runs
# /docker-entrypoint-initdb.d/*.sql|*.sh against a socket-only server, then execs postgres.
set -Eeuo pipefail

as_postgres() {
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups "$@"; else "$@"; fi
}

init_database() {
  local user="${POSTGRES_USER:-postgres}" db="${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != trust ]; then
    echo >&2 'error: POSTGRES_PASSWORD is not set. Set it, or POSTGRES_HOST_AUTH_METHOD=trust for a throwaway database.'
    exit 1
  fi
  local pwfile; pwfile="$(mktemp)"; printf '%s' "${POSTGRES_PASSWORD:-}" > "$pwfile"; chown postgres "$pwfile"
  as_postgres initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --data-checksums ${POSTGRES_INITDB_ARGS:-} -D "$PGDATA"
  rm -f "$pwfile"
  echo "host all all all ${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"

  as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
  if [ "$db" != postgres ]; then
    as_postgres psql -v ON_ERROR_STOP=1 --username "$user" --dbname postgres -c "CREATE DATABASE \"$db\""
  fi
  local f
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) echo "running $f"; . "$f" ;;
      *.sql) echo "running $f"; as_postgres psql -v ON_ERROR_STOP=1 --username "$user" --dbname "$db" -f "$f" ;;
      *.sql.gz) echo "running $f"; gunzip -c "$f" | as_postgres psql -v ON_ERROR_STOP=1 --username "$user" --dbname "$db" ;;
      *) [ -e "$f" ] && echo "ignoring $f" ;;
    esac
  done
  as_postgres pg_ctl -D "$PGDATA" -m fast -w stop
  echo 'PostgreSQL init process complete; ready for start up.'
}

# pgBackRest's TLS identity (services/pgbackrest/config.ts): base64 of PEM in the environment, files here.
write_backup_tls() {
  [ -n "${REFSTACK_BACKUP_TLS_CERT_B64:-}" ] || return 0
  local dir=/etc/pgbackrest/tls
  mkdir -p "$dir"
  printf '%s' "$REFSTACK_BACKUP_TLS_CA_B64" | base64 -d > "$dir/ca.pem"
  printf '%s' "$REFSTACK_BACKUP_TLS_CERT_B64" | base64 -d > "$dir/cert.pem"
  ( umask 077; printf '%s' "$REFSTACK_BACKUP_TLS_KEY_B64" | base64 -d > "$dir/key.pem" )
  chown -R postgres:postgres "$dir"
}
write_backup_tls

if [ "${1:-}" = postgres ] || [ "${1:0:1}" = - ]; then
  [ "${1:0:1}" = - ] && set -- postgres "$@"
  mkdir -p "$PGDATA"; chown postgres:postgres "$PGDATA"; chmod 0700 "$PGDATA"
  [ -s "$PGDATA/PG_VERSION" ] || init_database
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
fi

if [ "${1:-}" = patroni ]; then
  mkdir -p "$PGDATA"; chown postgres:postgres "$PGDATA"; chmod 0700 "$PGDATA"
  # As PID 1, Patroni forwards SIGINT (this image's STOPSIGNAL, right for plain postgres) to a child
  # that ignores it, so `docker stop` would wait for its timeout and SIGKILL, keeping the leader key
  # until its ttl expires. Run Patroni as a child and hand it SIGTERM, its graceful shutdown signal.
  if [ -n "${REFSTACK_BACKUP_TLS_CERT_B64:-}" ]; then
    # The repository host takes backups through this member's pgBackRest TLS server.
    ( while true; do
        setpriv --reuid=postgres --regid=postgres --init-groups pgbackrest server
        echo "pgbackrest server exited ($?); starting it again in 1 s" >&2; sleep 1
      done ) &
  fi
  setpriv --reuid=postgres --regid=postgres --init-groups "$@" &
  child=$!
  trap 'kill -TERM "$child" 2>/dev/null || true' INT TERM
  trap 'kill -HUP "$child" 2>/dev/null || true' HUP
  status=0
  while kill -0 "$child" 2>/dev/null; do
    wait "$child" && status=0 || status=$?
  done
  exit "$status"
fi

exec "$@"
