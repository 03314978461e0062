#!/usr/bin/env bash
# One set-up for a fresh machine or a laptop: a reachable Docker engine, npm dependencies, built images.
# On Debian as root it installs docker.io and debootstrap when missing and starts dockerd when it is not
# running; elsewhere it only checks and tells you what to do. Safe to run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKERD_LOG=${REFSTACK_DOCKERD_LOG:-/var/log/refstack-dockerd.log}
say() { printf '» %s\n' "$*" >&2; }
fail() { printf 'setup: %s\n' "$*" >&2; exit 1; }

is_debian_root() { [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; }
engine_up() { timeout 10 docker info >/dev/null 2>&1; }

apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then say "apt-get update"; apt-get update -qq; apt_updated=1; fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. Tools
if is_debian_root; then
  missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker >/dev/null || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v iptables >/dev/null || missing+=(iptables)
  # Headless Chromium for the game-day report check (test/unit/chaos/report-browser.test.ts): about 2 min the first time.
  command -v chromium >/dev/null || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] || apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
fi
command -v docker >/dev/null || fail "no docker client. Install Docker (https://docs.docker.com/engine/install/) or, on Debian as root: apt-get install -y docker.io"

# 2. Engine
if engine_up; then
  say "docker engine reachable: $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
elif is_debian_root && command -v dockerd >/dev/null; then
  say "starting dockerd (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 < /dev/null &
  for i in $(seq 1 60); do
    engine_up && break
    [ "$i" = 60 ] && fail "dockerd did not answer within 60 s; see the last lines of $DOCKERD_LOG:
$(tail -n 20 "$DOCKERD_LOG")"
    sleep 1
  done
  say "docker engine up after ${i} s: $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
else
  fail "the Docker engine is not reachable. Start Docker Desktop, or: sudo systemctl start docker   (then run npm run setup again)"
fi

# 3. Dependencies (npm ci only when the lock changed since the last install)
stamp=node_modules/.refstack-lock.sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
else
  say "npm dependencies up to date"
fi

# 4. Docker Compose v2 (a CLI plugin built from the Go module proxy, cached by content hash) when missing
if ! docker compose version >/dev/null 2>&1; then
  say "docker compose missing: building the Compose v2 plugin from the Go module proxy (about 2 min cold)"
  node --import tsx src/core/tools/cli.ts build docker-compose >/dev/null
fi

# 5. Images (only those whose folder changed), then the full check
node bin/refstack.js images build
node bin/refstack.js doctor
