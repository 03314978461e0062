#!/bin/sh
# Fails loudly when no configuration was provided instead of starting Debian's sample config.
set -eu
cfg="${HAPROXY_CONFIG:-/etc/haproxy/haproxy.cfg}"
if ! grep -q 'refstack' "$cfg" 2>/dev/null; then
  echo "error: $cfg is not a refstack configuration; copy one in (services/haproxy/config.ts renders it)" >&2
  exit 1
fi
haproxy -c -f "$cfg"
exec haproxy -W -db -f "$cfg" "$@"
