#!/usr/bin/env bash
# tini runs this as its child and forwards signals to the whole group: rsyslogd saves its queue on
# SIGTERM, the maintenance loop just ends. Either one exiting ends the container.
set -uo pipefail
if [[ "${1:-}" == log-tier ]]; then shift; exec log-tier "$@"; fi
conf=/tmp/rsyslog.conf
# A restarted container keeps /tmp: the pid file of the previous run would make rsyslogd refuse to start.
rm -f /tmp/rsyslogd.pid
# LOG_PROJECT: only lines tagged "<project>/…" are shipped (other projects may share the engine).
[[ "${LOG_PROJECT:-}" =~ ^[a-z][a-z0-9-]{1,30}$ ]] || { echo "LOG_PROJECT must name the stack's project (a-z, 0-9, -), got \"${LOG_PROJECT:-}\"" >&2; exit 2; }
sed -e "s|@SEARCH_URL@|http://${SEARCH_HOST}:${SEARCH_PORT}|" -e "s|@PROJECT@|${LOG_PROJECT}|" -e "s|@LOGS@|${ENGINE_LOGS}|" /etc/log-shipper/rsyslog.conf > "$conf"
log-tier maintain &
rsyslogd -n -f "$conf" -i /tmp/rsyslogd.pid &
wait -n
status=$?
kill -TERM $(jobs -p) 2>/dev/null
wait
exit "$status"
