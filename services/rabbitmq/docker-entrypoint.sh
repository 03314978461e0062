#!/bin/bash
# Writes the Erlang cookie (RABBITMQ_ERLANG_COOKIE, else a random one kept in the data dir) and the
# default user (RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS, else guest/guest), then runs
# rabbitmq-server as the rabbitmq user.
# Clustering (RABBITMQ_CLUSTER_NODES=rabbit@a,rabbit@b,…): classic peer discovery of those nodes with
# pause_minority. On its first boot (no data yet) a node other than the first listed waits for the first
# one's AMQP listener, so it joins that node's cluster: nodes booting together would each find no peer
# within the discovery retries and form clusters of one (RabbitMQ's cluster-formation guide, "Race
# Conditions During Initial Cluster Formation"). A node with data rejoins its cluster by itself.
set -Eeuo pipefail

cluster_conf() {
  [ -n "${RABBITMQ_CLUSTER_NODES:-}" ] || return 0
  echo "cluster_formation.peer_discovery_backend = classic_config"
  local i=1 node
  for node in ${RABBITMQ_CLUSTER_NODES//,/ }; do
    echo "cluster_formation.classic_config.nodes.$i = $node"
    i=$((i + 1))
  done
  echo "cluster_partition_handling = pause_minority"
}

wait_for_seed() {
  # The node's own database directory: Debian's package ships an empty /var/lib/rabbitmq/mnesia, copied into
  # every new volume, so only rabbit@<hostname> tells a node that has booted before.
  [ -n "${RABBITMQ_CLUSTER_NODES:-}" ] && [ ! -d "/var/lib/rabbitmq/mnesia/rabbit@$(hostname)" ] || return 0
  local seed="${RABBITMQ_CLUSTER_NODES%%,*}"
  seed="${seed#*@}"
  [ "$seed" != "$(hostname)" ] || return 0
  local deadline=$((SECONDS + ${RABBITMQ_SEED_WAIT_SECONDS:-300}))
  echo "first boot: waiting for $seed to accept AMQP connections before joining its cluster" >&2
  until (exec 3<>"/dev/tcp/$seed/5672") 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$seed did not accept AMQP connections within ${RABBITMQ_SEED_WAIT_SECONDS:-300} s: is it running? (docker logs of its container)" >&2
      exit 1
    fi
    sleep 1
  done
}

# Any other node of the cluster accepting AMQP connections.
peer_serving() {
  local node host
  for node in ${RABBITMQ_CLUSTER_NODES//,/ }; do
    host="${node#*@}"
    [ "$host" != "$(hostname)" ] || continue
    timeout 2 bash -c "exec 3<>/dev/tcp/$host/5672" 2>/dev/null && return 0
  done
  return 1
}

# A clustered node whose broker stopped serving (no AMQP listener) for RABBITMQ_STUCK_SECONDS while a peer
# serves is killed, for the restart policy to start it afresh. pause_minority stops the broker of a cut-off
# node on purpose and starts it again once the majority is in sight; RabbitMQ 3.10.8 (Debian 12's) on
# Erlang 25.1+ can hang in that restart for good (global:sync; rabbitmq-server#6034, fixed upstream in later
# releases). While no peer answers (cut off, or every node down) waiting is right and nothing is counted.
watchdog() {
  local server=$1 limit=${RABBITMQ_STUCK_SECONDS:-30} served=0 since=""
  while kill -0 "$server" 2>/dev/null; do
    sleep 5
    if (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
      served=1 since=""
      continue
    fi
    [ "$served" = 1 ] || continue
    if ! peer_serving; then since=""; continue; fi
    since=${since:-$SECONDS}
    if [ $((SECONDS - since)) -ge "$limit" ]; then
      echo "watchdog: the broker has not served AMQP for ${limit} s while a peer does (stuck restarting after a partition?): killing it for the restart policy" >&2
      kill -KILL "$server"
      return
    fi
  done
}

if [ "${1:-}" = rabbitmq-server ]; then
  # Until the broker runs, a stop request ends the container at once (PID 1 ignores SIGTERM without a trap).
  trap 'exit 143' TERM INT
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
    cluster_conf
    echo "default_user = ${RABBITMQ_DEFAULT_USER:-guest}"
    echo "default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}"
  } > /etc/rabbitmq/rabbitmq.conf
  chown -R rabbitmq:rabbitmq /etc/rabbitmq /var/lib/rabbitmq
  shift
  wait_for_seed
  # Debian's /usr/sbin/rabbitmq-server wrapper sends the log to /var/log/rabbitmq/startup_log; the
  # real script logs to stdout (RABBITMQ_LOGS=-), where `docker logs` and wait strategies see it.
  cd /var/lib/rabbitmq
  run=(setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server "$@")
  [ -n "${RABBITMQ_CLUSTER_NODES:-}" ] || exec "${run[@]}"
  "${run[@]}" &
  server=$!
  stopping=0
  trap 'stopping=1; kill -TERM "$server" 2>/dev/null' TERM INT
  watchdog "$server" &
  # A trapped signal interrupts wait: wait again until the broker itself has exited.
  while kill -0 "$server" 2>/dev/null; do wait "$server" || true; done
  # Debian's rabbitmq-server script exits 0 whatever the VM did: a broker that ends without being asked to
  # (crashed, or killed by the watchdog) exits non-zero here, for the restart policy.
  if [ "$stopping" = 1 ]; then exit 0; fi
  echo "the broker exited without a stop request: exiting 1 for the restart policy" >&2
  exit 1
fi
exec "$@"
