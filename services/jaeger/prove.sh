#!/usr/bin/env bash
# Proves the Jaeger service by hand: builds the binary (if not cached) and the image, starts it on a
# labelled network of its own with every port published on 127.0.0.1, sends one span as OTLP/HTTP JSON
# with curl and reads it back from the query API. Removes what it created, on success, failure or Ctrl-C.
#   REFSTACK_IMAGE_PREFIX=refstack-search services/jaeger/prove.sh [--build]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${REFSTACK_IMAGE_PREFIX:-refstack}"
image="$prefix/jaeger:latest"
run="jaeger-prove-$$-$(date +%s)"
labels=(--label org.refstack.managed=true --label org.refstack.owner=test --label "org.refstack.run=$run" --label "org.refstack.pid=$$" --label "org.refstack.host=$(hostname)")
now() { date +%s.%N; }
since() { printf '%.2f' "$(echo "$(now) - $1" | bc)"; }

# The image pipeline stages the binary from the Go tool catalog (image.json "tools") and builds the image.
if [[ "${1:-}" == --build ]] || ! docker image inspect "$image" >/dev/null 2>&1; then
  t=$(now); (cd "$here/../.." && node bin/refstack.js images build jaeger ${1:+--force}) >/dev/null
  echo "build.jaeger_image_seconds = $(since "$t") s"
fi

network="refstack-$run"
cid=""
cleanup() {
  [[ -n "$cid" ]] && docker rm -f -v "$cid" >/dev/null 2>&1
  docker network rm "$network" >/dev/null 2>&1 || true
  echo "removed container ${cid:0:12} and network $network"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
docker network create "${labels[@]}" "$network" >/dev/null

t=$(now)
cid=$(docker run -d "${labels[@]}" --name "rs-search-$run" --network "$network" --network-alias jaeger --memory 512m \
  -p 127.0.0.1::4317 -p 127.0.0.1::4318 -p 127.0.0.1::16686 -p 127.0.0.1::13133 "$image")
for _ in $(seq 1 120); do
  [[ "$(docker inspect -f '{{.State.Health.Status}}' "$cid")" == healthy ]] && break
  sleep 0.25
done
[[ "$(docker inspect -f '{{.State.Health.Status}}' "$cid")" == healthy ]] || { docker logs "$cid" | tail -20; echo "jaeger not healthy within 30 s" >&2; exit 1; }
echo "jaeger.start_to_healthy_seconds = $(since "$t") s"
port() { docker port "$cid" "$1" | head -1 | sed 's/.*://'; }
otlp="http://127.0.0.1:$(port 4318)"; query="http://127.0.0.1:$(port 16686)"
echo "published: $(docker port "$cid" | tr '\n' ' ')"
# Checked inside the container: docker-proxy accepts a connection on a published port even when nothing listens.
if docker exec "$cid" bash -c 'exec 3<>/dev/tcp/127.0.0.1/4317' 2>/dev/null; then echo "otlp_grpc.4317 = listening"; else echo "otlp_grpc.4317 = not listening" >&2; exit 1; fi

trace=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n'); span=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
service="refstack-prove-$$"
start_ns=$(( $(date +%s%N) - 5000000 )); end_ns=$(date +%s%N)
body=$(cat <<JSON
{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"$service"}}]},
 "scopeSpans":[{"scope":{"name":"prove.sh"},"spans":[{"traceId":"$trace","spanId":"$span","name":"GET /orders/:id",
 "kind":2,"startTimeUnixNano":"$start_ns","endTimeUnixNano":"$end_ns",
 "attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"http.response.status_code","value":{"intValue":"200"}}],
 "status":{"code":1}}]}]}]}
JSON
)
t=$(now)
code=$(curl -sS -o /tmp/$run.otlp -w '%{http_code}' -X POST "$otlp/v1/traces" -H 'content-type: application/json' -d "$body")
echo "otlp_http.post_status = $code ($(cat /tmp/$run.otlp; rm -f /tmp/$run.otlp))"
[[ "$code" == 200 ]] || exit 1
found=""
for _ in $(seq 1 100); do
  found=$(curl -fsS "$query/api/traces?service=$service&limit=5" | jq -r --arg t "$trace" '.data[] | select(.traceID == $t) | .spans[0].operationName' 2>/dev/null || true)
  [[ -n "$found" ]] && break
  sleep 0.1
done
[[ -n "$found" ]] || { echo "span of trace $trace not found via $query/api/traces?service=$service" >&2; exit 1; }
echo "jaeger.span_readable_seconds = $(since "$t") s (trace $trace, operation \"$found\")"
echo "jaeger.services = $(curl -fsS "$query/api/services" | jq -c .data)"
echo "jaeger.trace_by_id = $(curl -fsS "$query/api/traces/$trace" | jq -c '[.data[0].spans[] | {operationName, duration, tags: [.tags[] | select(.key | startswith("http")) | "\(.key)=\(.value)"]}]')"
echo "jaeger.rss_mib = $(docker exec "$cid" bash -c "awk '/^VmRSS/ {print \$2}' /proc/1/status" | awk '{printf "%.1f", $1/1024}') MiB"
echo "jaeger.user = $(docker exec "$cid" id -u)"
