#!/usr/bin/env bash
# Installs everything the test suite needs, skipping what is already there (a second run takes seconds):
#   1. Debian packages (apt-get), only the missing ones;
#   2. the real peers the tests run, built from their Go modules at pinned versions into
#      .tools/<name>-<version>/<name> (ignored by git; ISD_TOOLS_DIR moves it): helm, opa, etcd, kube-apiserver,
#      and the Argo Rollouts controller (with its CRDs);
#   3. OPA's conformance cases, from the OPA Go module at the same pinned version (Go's module cache);
#   4. OpenSearch from Maven Central jars, and the self-hosted metric stores (Graphite from PyPI, influxd
#      from its Go module; scripts/metric-stores/install.sh, which also runs alone);
#   5. Schemathesis from PyPI, in a virtualenv (scripts/schemathesis/install.sh, which also runs alone).
# Tests find the tools with requireTool() in @isd/test-support and fail, naming this script, when one is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools_dir="${ISD_TOOLS_DIR:-$root/.tools}"

# ---------------------------------------------------------------------------------------------------------
# 1. Debian packages. One per line; each line says which tests need it.
packages=(
  postgresql        # real Postgres for store and integration tests (initdb in a temp dir)
  python3-scipy     # SciPy reference values for the autopilot statistics tests (sidecars/autopilot/src/domain/scipy-reference.test.ts) and bench:judge
  prometheus        # real Prometheus scraping two prom-client apps in the autopilot provider and e2e tests (sidecars/autopilot/src/providers/prometheus.test.ts, src/api/e2e.test.ts)
  libcairo2         # graphite-web's renderer library, loaded when its render API starts (sidecars/autopilot/src/providers/graphite.test.ts)
  chromium          # headless browser for the deck-plugin browser test (deck-plugin/test/browser.test.ts, playwright-core)
  python3-venv      # virtualenvs for Graphite (scripts/metric-stores) and Schemathesis (scripts/schemathesis)
)
# Packages needed only when a command is missing, as "command:package" (the command may come from
# elsewhere on the image, e.g. kubectl from the Cloud SDK, which a Debian package would clash with).
commands=(
  kubectl:kubernetes-client   # real kubectl for the tunnel tests (test/e2e/kubectl-*.test.ts)
  git:git                     # sapor's policy, accounts and pipelines-as-code repositories (sidecars/sapor/test/*git*, pipelines-as-code.test.ts)
  prlimit:util-linux          # the memory bound sapor puts on git (sidecars/sapor/test/git-memory.test.ts)
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
else
  echo "system packages: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---------------------------------------------------------------------------------------------------------
# 2. Go-built peers. Go (>= 1.26, as on the project's machines) builds them; the module proxy serves the sources.
if ! command -v go >/dev/null 2>&1; then
  echo "install-test-tools: Go is not installed; it builds helm, opa, etcd and kube-apiserver (need Go >= 1.26)" >&2
  exit 1
fi
export GOTOOLCHAIN=local

# go_tool NAME VERSION KIND TARGET [LDFLAGS]: builds one binary into $tools_dir/NAME-VERSION/NAME unless it is there.
#   KIND=install: TARGET is a package path, built with `go install TARGET@VERSION`;
#   KIND=module:  TARGET is a package path built inside scripts/test-tools/NAME (a go.mod with go.sum pinning
#                 the versions, for modules that `go install` refuses because of their replace directives).
go_tool() {
  local name="$1" version="$2" kind="$3" target="$4" ldflags="${5:-}"
  local dir="$tools_dir/$name-$version"
  if [ -x "$dir/$name" ]; then
    echo "$name $version: present"
    return
  fi
  echo "$name $version: building from its Go module (the first build takes minutes)..."
  local started=$SECONDS tmp
  tmp="$(mktemp -d)"
  if [ "$kind" = install ]; then
    GOBIN="$tmp" go install -ldflags="$ldflags" "$target@$version"
  else
    (cd "$root/scripts/test-tools/$name" && go build -mod=readonly -ldflags="$ldflags" -o "$tmp/$name" "$target")
  fi
  mkdir -p "$dir"
  mv "$tmp/$name" "$dir/$name"
  rmdir "$tmp"
  echo "$name $version: built in $((SECONDS - started)) s"
}

go_tool helm v4.3.2 install helm.sh/helm/v4/cmd/helm "-X helm.sh/helm/v4/internal/version.version=v4.3.2"
go_tool opa v1.22.4 install github.com/open-policy-agent/opa
go_tool etcd v3.7.4 module go.etcd.io/etcd/server/v3
# kube-apiserver reports its version from link-time variables; helm and kubectl read it (Capabilities.KubeVersion).
kube_version=k8s.io/component-base/version
go_tool kube-apiserver v1.37.2 module k8s.io/kubernetes/cmd/kube-apiserver \
  "-X $kube_version.gitVersion=v1.37.2 -X $kube_version.gitMajor=1 -X $kube_version.gitMinor=37 -X $kube_version.gitTreeState=clean"

# The Argo Rollouts controller and its CRDs, for test/e2e/argo-rollouts.test.ts (docs/argo-rollouts.md). Its
# module pins k8s.io/* with replace directives, which `go install` refuses, hence scripts/test-tools/argo-rollouts.
go_tool argo-rollouts v1.10.1 module github.com/argoproj/argo-rollouts/cmd/rollouts-controller
argo_crds="$tools_dir/argo-rollouts-v1.10.1/crds"
if [ -d "$argo_crds" ]; then
  echo "argo-rollouts CRDs: present"
else
  argo_module="$(cd "$root/scripts/test-tools/argo-rollouts" && go mod download -json github.com/argoproj/argo-rollouts | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  mkdir -p "$argo_crds.tmp"
  cp "$argo_module"/manifests/crds/*-crd.yaml "$argo_crds.tmp/"
  mv "$argo_crds.tmp" "$argo_crds"
  echo "argo-rollouts CRDs: copied from $argo_module/manifests/crds"
fi

# oes-birger (the tunnel benchmark's peer) is not served by the Go module proxy (403 for every version of
# github.com/OpsMx/oes-birger), so no script of the project can install it; bench:tunnel says so and
# accepts --birger-dir with binaries built elsewhere.

# ---------------------------------------------------------------------------------------------------------
# 3. OPA's conformance cases (v1/test/cases/testdata/v1 of the OPA module), read by sidecars/rego's conformance
#    test and `npm run conformance` from Go's module cache.
opa_cases="$(go mod download -json github.com/open-policy-agent/opa@v1.22.4 | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
if [ ! -d "$opa_cases/v1/test/cases/testdata/v1" ]; then
  echo "install-test-tools: OPA's conformance cases are missing from $opa_cases" >&2
  exit 1
fi
echo "opa conformance cases: $opa_cases/v1/test/cases/testdata/v1"

# ---------------------------------------------------------------------------------------------------------
# OpenSearch
# A single-node OpenSearch (2.19.x, the newest Java 17 runs) assembled from Maven Central jars for the
# autopilot log-provider tests (sidecars/autopilot/src/logs/providers/opensearch.test.ts); needs mvn and java.
"$root/scripts/opensearch/install.sh" "$tools_dir"

# ---------------------------------------------------------------------------------------------------------
# Self-hosted metric stores
# Graphite (graphite-web + carbon from PyPI, in a virtualenv) and InfluxDB 1.x (from its Go module) for the
# autopilot provider tests (sidecars/autopilot/src/providers/{graphite,influxdb}.test.ts); needs python3 and Go.
"$root/scripts/metric-stores/install.sh" "$tools_dir"

# ---------------------------------------------------------------------------------------------------------
# Schemathesis
# The OpenAPI fuzzer (from PyPI, in a virtualenv) that test/security/api-fuzz.test.ts runs against every
# service's /openapi.json; needs python3.
"$root/scripts/schemathesis/install.sh" "$tools_dir"
