#!/usr/bin/env bash
# The search side of the log tier, for OpenSearch and Elasticsearch alike (same REST calls):
#   log-tier ensure      install the ingest pipeline and the index template when missing or outdated
#   log-tier retention   delete logs-* indices older than RETENTION_SECONDS (by index creation time)
#   log-tier maintain    both, every MAINTAIN_INTERVAL_S, forever (the shipper container runs this)
# Retention is done here and not by ISM/ILM: the ISM plugin is not published on Maven Central, so the
# OpenSearch built here has none, and one mechanism serves both engines.
set -uo pipefail
base="http://${SEARCH_HOST:-opensearch}:${SEARCH_PORT:-9200}"
assets="${LOG_TIER_ASSETS:-/etc/log-shipper/search}"
retention="${RETENTION_SECONDS:-604800}"
# Which indices retention looks at (a one-off pass can be narrowed, e.g. RETENTION_PATTERN=logs-probe-*).
pattern="${RETENTION_PATTERN:-logs-*}"
interval="${MAINTAIN_INTERVAL_S:-30}"

say() { printf '{"@timestamp":"%s","log.level":"%s","service.name":"log-shipper","message":%s}\n' "$(date -u +%FT%T.%3NZ)" "$1" "$(jq -Rn --arg m "$2" '$m')"; }
req() { curl -sS --max-time 10 -H 'content-type: application/json' "$@" 2>/dev/null; }

# One warning per failure spell, not one a second while the search tier is down.
warned=""
warn_once() { [[ -n "$warned" ]] || say warn "$1 (retrying quietly)"; warned=1; }

ensure() {
  local want have
  want=$(jq -r '._meta.schema' "$assets/index-template.json")
  have=$(req "$base/_index_template/logs" | jq -r '.index_templates[0].index_template._meta.schema // empty' 2>/dev/null)
  [[ "$have" == "$want" ]] && req -f "$base/_ingest/pipeline/logs-ecs" -o /dev/null && return 0
  # The template first: the shipper names the pipeline in every request, so no logs-* index can be
  # created before the pipeline exists, and by then the template does too.
  req -f -XPUT "$base/_index_template/logs" -d @"$assets/index-template.json" -o /dev/null || { warn_once "cannot install the index template at $base"; return 1; }
  req -f -XPUT "$base/_ingest/pipeline/logs-ecs" -d @"$assets/ingest-pipeline.json" -o /dev/null || { warn_once "cannot install the ingest pipeline at $base"; return 1; }
  warned=
  say info "installed ingest pipeline logs-ecs and index template logs (schema $want) at $base"
}

retention() {
  local now_ms rows
  now_ms=$(( $(date +%s) * 1000 ))
  [[ "$pattern" =~ ^logs-[a-z0-9_.*-]*$ ]] || { say error "RETENTION_PATTERN must start with logs- (got $pattern)"; return 1; }
  rows=$(req -f "$base/_cat/indices/$pattern?format=json&h=index,creation.date&expand_wildcards=open,closed" 2>/dev/null) || return 1
  jq -r --argjson cut $(( now_ms - retention * 1000 )) '.[] | select((."creation.date" | tonumber) < $cut) | .index' <<<"$rows" |
    while read -r index; do
      [[ "$index" =~ ^logs-[a-z0-9_.-]+$ ]] || continue
      if req -f -XDELETE "$base/$index" -o /dev/null; then say info "retention: deleted $index (older than ${retention} s)"; fi
    done
}

case "${1:-}" in
  ensure) ensure ;;
  retention) retention ;;
  maintain)
    until ensure; do sleep 1; done
    while true; do sleep "$interval"; ensure; retention; done ;;
  *) echo "usage: log-tier ensure|retention|maintain" >&2; exit 2 ;;
esac
