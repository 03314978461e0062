#!/usr/bin/env bash
# Prove the control-plane image by hand: stage the binaries from the tool cache, docker build it FROM the
# local Debian base, run it on a fresh labelled container, wait for /readyz, apply a Namespace + a
# 3-replica Deployment + a PodDisruptionBudget (server-side apply, strict field validation), see the
# Deployment Available on a kwok fake node, measure, generate kubeconform schemas from the live
# /openapi/v2 and validate the same manifests offline with them, then remove the container.
#
#   REFSTACK_IMAGE_PREFIX=refstack-tools services/k8s-control-plane/prove.sh
#   NO_CACHE=1 …   cold image build (docker build --no-cache)
#   KEEP=1 …       leave the container running (its id is printed; remove it with docker rm -f <id>)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PREFIX=${REFSTACK_IMAGE_PREFIX:-refstack-tools}
IMAGE="$PREFIX/k8s-control-plane:latest"
BASE=${BASE_IMAGE:-refstack/debian-base:bookworm}
WORK=$(mktemp -d /tmp/k8s-cp-prove.XXXXXX)
RUN_ID="k8s-cp-prove-$(date -u +%Y%m%dT%H%M%SZ)-$$"
CID=""

now() { date +%s.%N; }
since() { awk "BEGIN{printf \"%.1f\", $(now)-$1}"; }
say() { printf '» %s\n' "$*" >&2; }
fail() { printf '✗ %s\n' "$*" >&2; exit 1; }

cleanup() {
  local code=$?
  if [[ -n "$CID" ]]; then
    if (( code != 0 )); then
      say "last lines of the container log:"
      docker logs --tail 40 "$CID" 2>&1 | sed 's/^/    /' >&2 || true
    fi
    if [[ "${KEEP:-}" == 1 ]]; then
      say "KEEP=1: container $CID left running (kubeconfig $WORK/kubeconfig)"
    else
      docker rm -f "$CID" >/dev/null && say "removed container ${CID:0:12}"
    fi
  fi
  [[ "${KEEP:-}" == 1 ]] || rm -rf "$WORK"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cli() { node --import tsx "$ROOT/src/core/tools/cli.ts" "$@"; }

# 1. The build context's .tools/ from the Go tool cache (builds what is missing; hard links, no copies).
t=$(now)
say "staging binaries into $HERE/.tools"
cli stage "$HERE/.tools" kubernetes:kube-apiserver,kube-controller-manager,kube-scheduler,kubectl kwok etcd:etcd,etcdctl >/dev/null
STAGE_S=$(since "$t")
KUBECTL="$HERE/.tools/bin/kubectl"   # the 1.37 client, not the machine's older one
KUBECONFORM=$(cli path kubeconform kubeconform)
K8S_VERSION=$("$KUBECTL" version --client -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -1)

# 2. The image, FROM the local Debian base.
t=$(now)
say "docker build $IMAGE FROM $BASE${NO_CACHE:+ (--no-cache)}"
docker build ${NO_CACHE:+--no-cache} --build-arg BASE_IMAGE="$BASE" -t "$IMAGE" "$HERE" > "$WORK/build.log" 2>&1 ||
  { tail -30 "$WORK/build.log" >&2; fail "docker build failed (log above)"; }
BUILD_S=$(since "$t")
IMAGE_MB=$(docker image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f", $1/1048576}')

# 3. A fresh labelled container; the API published on a random loopback port.
t=$(now)
CID=$(docker run -d --label org.refstack.managed=true --label "org.refstack.run=$RUN_ID" --label org.refstack.owner=test \
  --label "org.refstack.pid=$$" --label "org.refstack.host=$(hostname)" --label org.refstack.component=k8s-control-plane \
  -p 127.0.0.1::6443 "$IMAGE")
PORT=$(docker port "$CID" 6443/tcp | head -1 | sed 's/.*://')
say "container ${CID:0:12}, API on https://127.0.0.1:$PORT"
for ((i=0; ; i++)); do
  if [[ "$(curl -sk --max-time 2 "https://127.0.0.1:$PORT/readyz" 2>/dev/null)" == ok ]]; then break; fi
  [[ "$(docker inspect -f '{{.State.Running}}' "$CID")" == true ]] || fail "the container exited before /readyz"
  (( i < 600 )) || fail "/readyz not ok after 120 s"
  sleep 0.2
done
READY_S=$(since "$t")
say "/readyz ok ${READY_S} s after docker run"

# 4. The kubeconfig the harness reads: the container's admin kubeconfig, pointed at the published port.
docker exec "$CID" cat /etc/kubernetes/admin.kubeconfig > "$WORK/kubeconfig"
"$KUBECTL" --kubeconfig "$WORK/kubeconfig" config set-cluster refstack --server="https://127.0.0.1:$PORT" >/dev/null
export KUBECONFIG="$WORK/kubeconfig"
"$KUBECTL" version | sed 's/^/    /' >&2

# 5. The fake node Ready.
t=$(now)
for ((i=0; i<300; i++)); do "$KUBECTL" get node kwok-node-0 >/dev/null 2>&1 && break; sleep 0.2; done
"$KUBECTL" wait --for=condition=Ready node/kwok-node-0 --timeout=60s >/dev/null
NODE_S=$(since "$t")

# 6. Server-side apply with strict field validation; the typo'd manifest must be refused.
t=$(now)
"$KUBECTL" apply --server-side --field-manager=refstack-prove --validate=strict -f "$HERE/manifests/demo.yaml" | sed 's/^/    /' >&2
if "$KUBECTL" apply --server-side --field-manager=refstack-prove --validate=strict -f "$HERE/manifests/invalid-unknown-field.yaml" > "$WORK/invalid.out" 2>&1; then
  fail "strict field validation accepted spec.replica"
fi
# Server-side apply refuses fields outside the schema when it builds the typed patch.
grep -q '\.spec\.replica: field not declared in schema' "$WORK/invalid.out" || { cat "$WORK/invalid.out" >&2; fail "unexpected rejection message"; }
say "server-side apply refused the typo: $(head -1 "$WORK/invalid.out")"
# The create/update path: fieldValidation=Strict (kubectl --validate=strict) turns the unknown field into
# an error; with --validate=warn the same object is accepted with a warning.
if "$KUBECTL" create --validate=strict --dry-run=server -f "$HERE/manifests/invalid-unknown-field.yaml" > "$WORK/strict.out" 2>&1; then
  fail "fieldValidation=Strict accepted spec.replica"
fi
grep -q 'strict decoding error: unknown field "spec.replica"' "$WORK/strict.out" || { cat "$WORK/strict.out" >&2; fail "unexpected strict rejection message"; }
"$KUBECTL" create --validate=warn --dry-run=server -f "$HERE/manifests/invalid-unknown-field.yaml" > "$WORK/warn.out" 2>&1 ||
  { cat "$WORK/warn.out" >&2; fail "fieldValidation=Warn refused the object"; }
grep -q 'unknown field "spec.replica"' "$WORK/warn.out" || { cat "$WORK/warn.out" >&2; fail "no warning with --validate=warn"; }
say "fieldValidation=Strict refused the typo: $(grep -m1 'strict decoding' "$WORK/strict.out")"

"$KUBECTL" -n demo wait --for=condition=Available deployment/web --timeout=120s >/dev/null
AVAILABLE_S=$(since "$t")
"$KUBECTL" -n demo get deploy,pods,pdb -o wide | sed 's/^/    /' >&2
READY=$("$KUBECTL" -n demo get deploy web -o jsonpath='{.status.readyReplicas}')
[[ "$READY" == 3 ]] || fail "readyReplicas=$READY, want 3"
NODES=$("$KUBECTL" -n demo get pods -l app=web -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u | tr '\n' ' ')
[[ "$NODES" == "kwok-node-0 " ]] || fail "pods on '$NODES', want kwok-node-0"
for ((i=0; i<100; i++)); do
  PDB=$("$KUBECTL" -n demo get pdb web -o jsonpath='{.status.currentHealthy}/{.status.desiredHealthy}/{.status.disruptionsAllowed}')
  [[ "$PDB" == 3/2/1 ]] && break; sleep 0.2
done
[[ "$PDB" == 3/2/1 ]] || fail "PDB status currentHealthy/desiredHealthy/disruptionsAllowed = $PDB, want 3/2/1"
MANAGERS=$("$KUBECTL" -n demo get deploy web --show-managed-fields -o jsonpath='{range .metadata.managedFields[*]}{.manager}:{.operation} {end}')
[[ "$MANAGERS" == *"refstack-prove:Apply"* ]] || fail "no server-side apply field manager: $MANAGERS"

# 7. Memory: each process's RSS inside the container, and the container's total.
docker exec "$CID" sh -c 'for p in /proc/[0-9]*; do n=$(cat $p/comm 2>/dev/null) || continue; r=$(awk "/^VmRSS/{print \$2}" $p/status 2>/dev/null); [ -n "$r" ] && echo "$n $r"; done' |
  awk '{rss[$1]+=$2; total+=$2} END {for (n in rss) printf "    %-24s %6.0f MB\n", n, rss[n]/1024; printf "    %-24s %6.0f MB\n", "total", total/1024}' | sort -k2 -n -r > "$WORK/rss.txt"
cat "$WORK/rss.txt" >&2
RSS_TOTAL=$(awk '$1=="total"{print $2}' "$WORK/rss.txt")
RSS_APISERVER=$(awk '$1=="kube-apiserver"{print $2}' "$WORK/rss.txt")
CGROUP_MEM=$(docker stats --no-stream --format '{{.MemUsage}}' "$CID")

# 8. kubeconform schemas from this API server's /openapi/v2, then the same manifests validated offline.
t=$(now)
"$KUBECTL" get --raw /openapi/v2 > "$WORK/openapi-v2.json"
SCHEMAS="$WORK/kubeconform-schemas"
cli kubeconform-schemas "$WORK/openapi-v2.json" "$SCHEMAS" "$K8S_VERSION" >/dev/null
SCHEMA_S=$(since "$t")
"$KUBECONFORM" -strict -summary -schema-location "$SCHEMAS" -kubernetes-version "${K8S_VERSION#v}" "$HERE/manifests/demo.yaml" | sed 's/^/    /' >&2
if "$KUBECONFORM" -strict -schema-location "$SCHEMAS" -kubernetes-version "${K8S_VERSION#v}" "$HERE/manifests/invalid-unknown-field.yaml" > "$WORK/kc.out" 2>&1; then
  fail "kubeconform -strict accepted spec.replica"
fi
say "kubeconform -strict refused the typo: $(head -1 "$WORK/kc.out")"
[[ -z "${SCHEMA_OUT:-}" ]] || { rm -rf "$SCHEMA_OUT"; cp -r "$SCHEMAS" "$SCHEMA_OUT"; say "schemas copied to $SCHEMA_OUT"; }

cat <<REPORT
k8s-control-plane proof ($K8S_VERSION, image $IMAGE FROM $BASE, ${IMAGE_MB} MB)
  stage .tools from the tool cache   ${STAGE_S} s
  docker build${NO_CACHE:+ --no-cache}                 ${BUILD_S} s
  /readyz ok after docker run        ${READY_S} s
  fake node Ready                    ${NODE_S} s
  apply → Deployment Available 3/3   ${AVAILABLE_S} s (PDB currentHealthy/desired/allowed = $PDB)
  RSS total / kube-apiserver         ${RSS_TOTAL} MB / ${RSS_APISERVER} MB (docker stats: $CGROUP_MEM)
  kubeconform schemas from /openapi/v2  ${SCHEMA_S} s ($(ls "$SCHEMAS"/*-strict | wc -l) strict schemas)
REPORT
