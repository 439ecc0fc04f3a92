#!/usr/bin/env bash
# Installs the self-hosted metric stores the autopilot provider tests run against, into TOOLS_DIR, skipping
# what is there (src/providers/graphite.test.ts, influxdb.test.ts, src/api/metric-stores-e2e.test.ts):
#   graphite-v<version>/venv      graphite-web, carbon and whisper from PyPI (graphite-requirements.txt pins all)
#   graphite-v<version>/graphite  the venv's Python, which the tests find with requireTool('graphite') and run
#                                 sidecars/autopilot/test/graphite/serve.py with (carbon-cache + graphite-web)
#   influxd-v<version>/influxd    InfluxDB 1.x built from its Go module (requireTool('influxd'))
# Usage: install.sh TOOLS_DIR (scripts/install-test-tools.sh calls it; it can also run alone).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools_dir="${1:?usage: install.sh TOOLS_DIR}"
mkdir -p "$tools_dir"
# The physical path: a virtualenv records its own location (see scripts/schemathesis/install.sh).
tools_dir="$(cd "$tools_dir" && pwd -P)"

graphite_version=1.1.10
dir="$tools_dir/graphite-v$graphite_version"
if [ -x "$dir/graphite" ]; then
  echo "graphite $graphite_version: present"
else
  echo "graphite $graphite_version: installing graphite-web, carbon and whisper from PyPI into $dir/venv..."
  started=$SECONDS
  python3 -c 'import venv, ensurepip' 2>/dev/null || {
    echo "install-test-tools: python3 with venv and ensurepip is needed for Graphite (Debian: python3-venv)" >&2
    exit 1
  }
  rm -rf "$dir"
  mkdir -p "$dir"
  python3 -m venv "$dir/venv"
  # GRAPHITE_NO_PREFIX: install as ordinary packages in the venv, not under /opt/graphite.
  GRAPHITE_NO_PREFIX=True "$dir/venv/bin/pip" install --quiet --disable-pip-version-check \
    -r "$here/graphite-requirements.txt"
  # graphite-web renders through cairocffi, which loads the system libcairo when imported.
  "$dir/venv/bin/python" -c 'import cairocffi' || {
    echo "install-test-tools: graphite-web needs libcairo2 (Debian package)" >&2
    exit 1
  }
  # The launcher is written last: its presence means the install finished.
  printf '#!/bin/sh\nexec "%s/venv/bin/python" "$@"\n' "$dir" > "$dir/graphite.tmp"
  chmod +x "$dir/graphite.tmp"
  mv "$dir/graphite.tmp" "$dir/graphite"
  echo "graphite $graphite_version: installed in $((SECONDS - started)) s"
fi

# InfluxDB 1.8: its module builds with `go install` (no replace directives) and pure Go (later 1.x need
# Flux's Rust library); 1.x is the line Kayenta's InfluxDB support speaks.
influxdb_version=v1.8.3
dir="$tools_dir/influxd-$influxdb_version"
if [ -x "$dir/influxd" ]; then
  echo "influxd $influxdb_version: present"
else
  command -v go >/dev/null || { echo "install-test-tools: Go is needed to build influxd" >&2; exit 1; }
  echo "influxd $influxdb_version: building from its Go module (the first build takes minutes)..."
  started=$SECONDS
  tmp="$(mktemp -d)"
  GOTOOLCHAIN=local GOBIN="$tmp" go install "github.com/influxdata/influxdb/cmd/influxd@$influxdb_version"
  mkdir -p "$dir"
  mv "$tmp/influxd" "$dir/influxd"
  rmdir "$tmp"
  echo "influxd $influxdb_version: built in $((SECONDS - started)) s"
fi
