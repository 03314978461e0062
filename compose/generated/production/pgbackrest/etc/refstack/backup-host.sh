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
# As PID 1, bash has no default SIGTERM action, and runs a trap only once its foreground command ends:
# every long command runs in the background and is waited for, so a stop is prompt.
trap 'log "stopping"; kill $(jobs -p) 2>/dev/null; exit 0' TERM INT
pause() { sleep "$1" & wait $!; }
# run <output file> <command…>: its exit status, its output in the file.
run() { local out=$1; shift; "$@" > "$out" 2>&1 & wait $!; }

(
  while true; do
    as_pg pgbackrest server
    log "pgbackrest server exited ($?); starting it again in 1 s"; sleep 1
  done
) &
python3 /etc/refstack/backup-exporter.py &

count() {  # count <file>: one more, written whole (the exporter never reads a half-written counter)
  echo $(( $(cat "$STATE/$1" 2>/dev/null || echo 0) + 1 )) > "$STATE/$1.tmp" && mv "$STATE/$1.tmp" "$STATE/$1"
}

# Result of one backup: counted per repository and outcome, its output kept for the runbook.
backup() {
  local repo=$1 type=$2 rc
  log "backup --repo=$repo --type=$type (from a standby)"
  run "$STATE/last-repo$repo.log" as_pg pgbackrest --stanza="$STANZA" --repo="$repo" --type="$type" backup; rc=$?
  tail -n 20 "$STATE/last-repo$repo.log"
  count "repo$repo-$([ $rc = 0 ] && echo ok || echo failed)"
  return $rc
}

# newest_age <repo> [full]: seconds since the repository's newest (full) backup finished; empty when it has none.
newest_age() {
  run "$STATE/info-$1.json" as_pg pgbackrest --stanza="$STANZA" --repo="$1" --output=json info || return 0
  python3 -c 'import json,sys,time
want=sys.argv[2] or None
b=[x["timestamp"]["stop"] for s in json.load(open(sys.argv[1])) for x in s.get("backup",[]) if not x.get("error") and (want is None or x["type"]==want)]
print(int(time.time()-max(b)) if b else "")' "$STATE/info-$1.json" "${2:-}" 2>/dev/null
}

until run "$STATE/stanza-create.log" as_pg pgbackrest --stanza="$STANZA" stanza-create; do
  log "stanza-create: not yet ($(grep -m1 -E 'ERROR|WARN' "$STATE/stanza-create.log" || echo 'no primary')); again in 3 s"
  pause 3
done
log "stanza $STANZA ready"

# First round: a full backup in each repository that has none (a restarted host keeps its repositories).
# Ready once repository 1 holds one (the cluster is restorable); repository 2 follows (pgBackRest runs
# one backup of a stanza at a time).
first_backup() {
  until [ -n "$(newest_age "$1")" ]; do
    backup "$1" full || { log "first backup of repository $1 failed; again in 5 s"; pause 5; }
  done
}
first_backup 1
touch "$STATE/ready"
first_backup 2
log "both repositories hold a backup; next round in ${BACKUP_INTERVAL_SECONDS} s"

# Each round decides per repository from what it holds (not from this process's memory, which a restart
# loses): a full backup when its newest full is older than BACKUP_FULL_EVERY_SECONDS, else repo1 an
# incremental and repo2 a differential one.
while true; do
  pause "$BACKUP_INTERVAL_SECONDS"
  for repo in 1 2; do
    age="$(newest_age "$repo" full)"
    if [ -z "$age" ] || [ "$age" -ge "$BACKUP_FULL_EVERY_SECONDS" ]; then type=full
    elif [ "$repo" = 1 ]; then type=incr
    else type=diff; fi
    backup "$repo" "$type"
  done
done
