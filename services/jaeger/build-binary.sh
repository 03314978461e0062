#!/usr/bin/env bash
# Builds the Jaeger v2 binary from the Go module proxy on the host and copies it into this folder's
# .tools/ (the image build context; git-ignored). Small on purpose: the general Go tool builder being
# written at src/core/tools/ replaces it. A warm run (binary present for this version) does nothing.
#   services/jaeger/build-binary.sh            build if missing
#   JAEGER_VERSION=v1.76.0 services/jaeger/build-binary.sh --force
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="${JAEGER_VERSION:-v1.76.0}"
cache="${REFSTACK_TOOLS_CACHE:-$root/.refstack/cache/tools}/jaeger-$version"
out="$here/.tools/jaeger"

if [[ "${1:-}" != --force && -x "$cache/jaeger" ]]; then
  echo "jaeger $version: cached at $cache/jaeger"
else
  mkdir -p "$cache/module"
  cd "$cache/module"
  [[ -f go.mod ]] || go mod init refstack.local/jaeger-build >/dev/null 2>&1
  started=$SECONDS
  go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$version"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$cache/jaeger.tmp" github.com/jaegertracing/jaeger/cmd/jaeger
  mv "$cache/jaeger.tmp" "$cache/jaeger"
  echo "jaeger $version: built in $((SECONDS - started)) s"
fi
mkdir -p "$here/.tools"
cp "$cache/jaeger" "$out"
printf '%s\n' "$version" > "$here/.tools/VERSION"
echo "copied to $out ($(du -h "$out" | cut -f1))"
