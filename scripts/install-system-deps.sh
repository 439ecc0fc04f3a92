#!/usr/bin/env bash
# Installs the Debian packages the test suite and benchmarks need, only those that are missing.
# One package per line in the list below; each line says which tests need it.
set -euo pipefail

packages=(
  postgresql        # real Postgres for store and integration tests (initdb in a temp dir)
  python3-scipy     # SciPy reference values for the autopilot statistics tests (sidecars/autopilot/src/domain/scipy-reference.test.ts) and bench:judge
  prometheus        # real Prometheus scraping two prom-client apps in the autopilot provider and e2e tests (sidecars/autopilot/src/providers/prometheus.test.ts, src/api/e2e.test.ts)
  chromium          # headless browser for the deck-plugin browser test (deck-plugin/test/browser.test.ts, playwright-core)
)

# Packages needed only when a command is missing, as "command:package" (the command may come from
# elsewhere on the image, e.g. kubectl from the Cloud SDK, which a Debian package would clash with).
commands=(
  kubectl:kubernetes-client   # real kubectl for test/harness/kube-apiserver/*.test.ts and test/e2e/kubectl-through-tunnel.test.ts
)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
for entry in "${commands[@]}"; do
  command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry#*:}")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
echo "system packages: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
