#!/bin/bash
# One-container Kubernetes control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# kwok. Certificates and service-account keys are made on first start (ECDSA P-256, fast) under
# /etc/kubernetes/pki; kubeconfigs under /etc/kubernetes. Any component exiting stops the container.
#
# Environment:
#   K8S_EXTRA_SANS     extra subjectAltNames for the serving certificate, e.g. "DNS:cp.local,IP:10.1.2.3"
#   KWOK_NODES         how many fake nodes to register (default 1; 0 = none)
#   APISERVER_EXTRA    extra kube-apiserver flags (word-split)
#   K8S_LOG_LEVEL      --v for every component (default 1)
set -euo pipefail

PKI=/etc/kubernetes/pki
KC=/etc/kubernetes
V=${K8S_LOG_LEVEL:-1}
SERVICE_CIDR=10.96.0.0/12
SERVICE_IP=10.96.0.1
log() { printf '[k8s-control-plane] %s %s\n' "$(date -u +%H:%M:%S.%3N)" "$*"; }

# The first non-loopback IPv4 address: kube-apiserver advertises it (its endpoint reconciler refuses a
# loopback one); without one (--network none) the reconciler is switched off instead.
POD_IP=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.' | grep -v '^127\.' | head -1 || true)

gen_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
# sign NAME SUBJECT EXTENSIONS: a key + certificate signed by the cluster CA.
sign() {
  local name=$1 subj=$2 ext=$3
  gen_key "$PKI/$name.key"
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" > "$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}
CLIENT_EXT=$'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth'

make_pki() {
  mkdir -p "$PKI"; chmod 700 "$PKI"
  gen_key "$PKI/ca.key"
  openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=refstack-kubernetes-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/ca.crt" 2>/dev/null
  local sans="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,DNS:$(hostname),IP:127.0.0.1,IP:$SERVICE_IP"
  [[ -n "$POD_IP" ]] && sans="$sans,IP:$POD_IP"
  [[ -n "${K8S_EXTRA_SANS:-}" ]] && sans="$sans,$K8S_EXTRA_SANS"
  sign apiserver "/CN=kube-apiserver" $'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName='"$sans"
  sign admin "/O=system:masters/CN=kubernetes-admin" "$CLIENT_EXT"
  sign controller-manager "/CN=system:kube-controller-manager" "$CLIENT_EXT"
  sign scheduler "/CN=system:kube-scheduler" "$CLIENT_EXT"
  sign kwok "/O=system:masters/CN=kwok" "$CLIENT_EXT"
  # Front proxy (aggregation layer): its own CA and the client certificate kube-apiserver presents to
  # aggregated API servers (metrics-server, …). Without a requestheader CA, kube-controller-manager and
  # kube-scheduler log "missing content for CA bundle … requestheader-client-ca-file" several times a second.
  gen_key "$PKI/front-proxy-ca.key"
  openssl req -x509 -new -key "$PKI/front-proxy-ca.key" -subj "/CN=refstack-front-proxy-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/front-proxy-ca.crt" 2>/dev/null
  gen_key "$PKI/front-proxy-client.key"
  openssl req -new -key "$PKI/front-proxy-client.key" -subj "/CN=front-proxy-client" -out "$PKI/front-proxy-client.csr" 2>/dev/null
  printf '%s\n' "$CLIENT_EXT" > "$PKI/front-proxy-client.ext"
  openssl x509 -req -in "$PKI/front-proxy-client.csr" -CA "$PKI/front-proxy-ca.crt" -CAkey "$PKI/front-proxy-ca.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$PKI/front-proxy-client.ext" -out "$PKI/front-proxy-client.crt" 2>/dev/null
  rm -f "$PKI/front-proxy-client.csr" "$PKI/front-proxy-client.ext"
  # Service-account token signing key pair (kube-apiserver signs with the private key and verifies with
  # the public one; kube-controller-manager signs the legacy token secrets with the private key).
  gen_key "$PKI/sa.key"
  openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
}

# kubeconfig FILE USER: a kubeconfig for https://127.0.0.1:6443 with the user's client certificate embedded.
kubeconfig() {
  local file=$1 user=$2
  rm -f "$file"
  kubectl config --kubeconfig="$file" set-cluster refstack --server=https://127.0.0.1:6443 \
    --certificate-authority="$PKI/ca.crt" --embed-certs=true >/dev/null
  kubectl config --kubeconfig="$file" set-credentials "$user" \
    --client-certificate="$PKI/$user.crt" --client-key="$PKI/$user.key" --embed-certs=true >/dev/null
  kubectl config --kubeconfig="$file" set-context "$user@refstack" --cluster=refstack --user="$user" >/dev/null
  kubectl config --kubeconfig="$file" use-context "$user@refstack" >/dev/null
  chmod 600 "$file"
}

T0=$(date +%s.%N)
if [[ ! -f "$PKI/ca.crt" ]]; then
  make_pki
  for u in admin controller-manager scheduler kwok; do kubeconfig "$KC/$u.kubeconfig" "$u"; done
  log "certificates and kubeconfigs made ($(awk "BEGIN{printf \"%.2f\", $(date +%s.%N)-$T0}") s; advertise ${POD_IP:-none})"
fi

pids=()
# run NAME CMD…: start a component in the background, its output prefixed with its name.
run() {
  local name=$1; shift
  "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
  log "started $name (pid $!)"
}
stop() {
  log "stopping"
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  wait || true
  exit 0
}
trap stop TERM INT

mkdir -p /var/lib/etcd
run etcd etcd --name=control-plane --data-dir=/var/lib/etcd/data \
  --listen-client-urls=http://127.0.0.1:2379 --advertise-client-urls=http://127.0.0.1:2379 \
  --listen-peer-urls=http://127.0.0.1:2380 --initial-advertise-peer-urls=http://127.0.0.1:2380 \
  --initial-cluster=control-plane=http://127.0.0.1:2380 \
  --listen-metrics-urls=http://127.0.0.1:2381 --log-level=warn \
  --quota-backend-bytes=2147483648 --auto-compaction-mode=periodic --auto-compaction-retention=5m

if [[ -n "$POD_IP" ]]; then ADVERTISE=(--advertise-address="$POD_IP"); else ADVERTISE=(--endpoint-reconciler-type=none); fi
# shellcheck disable=SC2206
EXTRA=(${APISERVER_EXTRA:-})
run kube-apiserver kube-apiserver \
  "${ADVERTISE[@]}" \
  --bind-address=0.0.0.0 --secure-port=6443 \
  --etcd-servers=http://127.0.0.1:2379 \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
  --requestheader-allowed-names=front-proxy-client \
  --requestheader-username-headers=X-Remote-User \
  --requestheader-group-headers=X-Remote-Group \
  --requestheader-extra-headers-prefix=X-Remote-Extra- \
  --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
  --authorization-mode=Node,RBAC \
  --enable-admission-plugins=NodeRestriction \
  --allow-privileged=true \
  --profiling=false \
  --v="$V" "${EXTRA[@]}"

# The other components need the API: wait for /readyz (anonymous access to it is allowed by default RBAC).
for ((i=0; i<600; i++)); do
  if kubectl --kubeconfig="$KC/admin.kubeconfig" get --raw=/readyz >/dev/null 2>&1; then break; fi
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { log "a component exited before the API was ready"; stop; }; done
  sleep 0.2
done
log "kube-apiserver ready ($(awk "BEGIN{printf \"%.2f\", $(date +%s.%N)-$T0}") s after start)"

run kube-controller-manager kube-controller-manager \
  --kubeconfig="$KC/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$KC/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$KC/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" \
  --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --profiling=false --v="$V"

run kube-scheduler kube-scheduler \
  --kubeconfig="$KC/scheduler.kubeconfig" \
  --authentication-kubeconfig="$KC/scheduler.kubeconfig" \
  --authorization-kubeconfig="$KC/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false \
  --profiling=false --v="$V"

run kwok kwok \
  --kubeconfig="$KC/kwok.kubeconfig" \
  --config=/etc/kwok/kwok.yaml \
  --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --manage-nodes-with-label-selector= \
  --cidr=10.244.0.1/16 --node-ip=10.244.0.1 \
  --server-address=127.0.0.1:10247 \
  --v="$V"

for ((n=0; n<${KWOK_NODES:-1}; n++)); do
  sed "s/__NAME__/kwok-node-$n/g" /etc/kwok/fake-node.yaml |
    kubectl --kubeconfig="$KC/admin.kubeconfig" apply --server-side --field-manager=k8s-control-plane -f - >/dev/null
done
log "control plane up: ${KWOK_NODES:-1} fake node(s) registered ($(awk "BEGIN{printf \"%.2f\", $(date +%s.%N)-$T0}") s after start)"

# Any component exiting ends the container (the harness sees it exit and reads the log).
set +e
wait -n "${pids[@]}"
code=$?
log "a component exited (code $code): stopping the others"
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
wait
exit "$code"
