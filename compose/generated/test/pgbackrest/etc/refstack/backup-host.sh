#!/bin/bash
# The repository host: pgBackRest's TLS server (the members push WAL to it, backups pull from them),
# the stanza, scheduled backups from a standby into both repositories, and the backup metrics.
# Environment: STANZA, BACKUP_INTERVAL_SECONDS, BACKUP_FULL_EVERY_SECONDS, PGBACKREST_REPO<n>_CIPHER_PASS,
# REFSTACK_BACKUP_TLS_*_B64 (written to files by the image's entrypoint).
set -uo pipefail

STATE=/run/refstack-backup        # what the exporter reads: round results, readiness
mkdir -p "$STATE"; rm -f "$STATE/ready"; chown postgres:postgres "$STATE" /var/lib/pgbackrest /var/lib/pgbackrest-offsite
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
log() { echo "$(date -u +%FT%TZ) backup-host: $*"; }
# As PID 1, bash has no default SIGTERM action: stop promptly (children with us), sleeping interruptibly.
trap 'log "stopping"; kill $(jobs -p) 2>/dev/null; exit 0' TERM INT
pause() { sleep "$1" & wait $!; }

(
  while true; do
    as_pg pgbackrest server
    log "pgbackrest server exited ($?); starting it again in 1 s"; sleep 1
  done
) &
python3 /etc/refstack/backup-exporter.py &

# Result of one backup: counted per repository and outcome, the output of the last kept for `refstack status`.
backup() {
  local repo=$1 type=$2 out rc
  log "backup --repo=$repo --type=$type (from a standby)"
  out="$(as_pg pgbackrest --stanza="$STANZA" --repo="$repo" --type="$type" backup 2>&1)"; rc=$?
  printf '%s\n' "$out" | tail -n 20
  printf '%s\n' "$out" > "$STATE/last-repo$repo.log"
  local file="$STATE/repo$repo-$([ $rc = 0 ] && echo ok || echo failed)"
  echo $(( $(cat "$file" 2>/dev/null || echo 0) + 1 )) > "$file"
  return $rc
}

newest_backup_age() {  # seconds since the newest backup of a repository finished; empty when it has none
  as_pg pgbackrest --stanza="$STANZA" --repo="$1" --output=json info 2>/dev/null |
    python3 -c 'import json,sys,time; b=[x["timestamp"]["stop"] for s in json.load(sys.stdin) for x in s.get("backup",[])]; print(int(time.time()-max(b)) if b else "")' 2>/dev/null
}

until out="$(as_pg pgbackrest --stanza="$STANZA" stanza-create 2>&1)"; do
  log "stanza-create: not yet ($(printf '%s' "$out" | grep -m1 -E 'ERROR|WARN' || echo 'no primary')); again in 3 s"
  pause 3
done
log "stanza $STANZA ready"

# First round: a full backup in each repository that has none (a restarted host keeps its repositories).
for repo in 1 2; do
  until [ -n "$(newest_backup_age "$repo")" ]; do
    backup "$repo" full || { log "first backup of repository $repo failed; again in 5 s"; pause 5; }
  done
done
touch "$STATE/ready"
log "both repositories hold a backup; next round in ${BACKUP_INTERVAL_SECONDS} s"

last_full=$(date +%s)
while true; do
  pause "$BACKUP_INTERVAL_SECONDS"
  if [ $(( $(date +%s) - last_full )) -ge "$BACKUP_FULL_EVERY_SECONDS" ]; then
    backup 1 full && backup 2 full && last_full=$(date +%s)
  else
    backup 1 incr; backup 2 diff
  fi
done
