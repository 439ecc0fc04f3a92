#!/usr/bin/env bash
# Installs Schemathesis (the OpenAPI fuzzer test/security/api-fuzz.test.ts runs against every service) from
# PyPI into a virtualenv, skipping it when present:
#   schemathesis-v<version>/venv          schemathesis and its dependencies (requirements.txt pins all)
#   schemathesis-v<version>/schemathesis  the venv's CLI, which the test finds with requireTool('schemathesis')
# Usage: install.sh TOOLS_DIR (scripts/install-test-tools.sh calls it; it can also run alone).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools_dir="${1:?usage: install.sh TOOLS_DIR}"
mkdir -p "$tools_dir"
# The physical path: a virtualenv records its own location, so one built through a symlink (a worktree's
# .tools) must not remember the link.
tools_dir="$(cd "$tools_dir" && pwd -P)"

version=4.32.5
dir="$tools_dir/schemathesis-v$version"
if [ -x "$dir/schemathesis" ] && "$dir/schemathesis" --version >/dev/null 2>&1; then
  echo "schemathesis $version: present"
  exit 0
fi
echo "schemathesis $version: installing from PyPI into $dir/venv..."
started=$SECONDS
python3 -c 'import venv, ensurepip' 2>/dev/null || {
  echo "install-test-tools: python3 with venv and ensurepip is needed for Schemathesis (Debian: python3-venv)" >&2
  exit 1
}
rm -rf "$dir"
mkdir -p "$dir"
python3 -m venv "$dir/venv"
"$dir/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
"$dir/venv/bin/schemathesis" --version | grep -qx "schemathesis, version $version" || {
  echo "install-test-tools: the installed Schemathesis is not $version" >&2
  exit 1
}
# The launcher is written last: its presence means the install finished. It finds the venv beside itself and
# runs the CLI script with the venv's python, not through the script's shebang: that names the absolute path
# the venv was built at, which is gone when the tools folder was installed from a worktree since removed.
printf '#!/bin/sh\nhere="$(dirname "$0")"\nexec "$here/venv/bin/python3" "$here/venv/bin/schemathesis" "$@"\n' > "$dir/schemathesis.tmp"
chmod +x "$dir/schemathesis.tmp"
mv "$dir/schemathesis.tmp" "$dir/schemathesis"
echo "schemathesis $version: installed in $((SECONDS - started)) s"
