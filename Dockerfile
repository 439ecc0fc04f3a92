# syntax=docker/dockerfile:1
# One image for every ISD component; the first argument chooses it:
#   docker run isd/isd:0.1.0 visibility --config /etc/isd/config.yaml
# Without a component name the agent runs, because the controller's generated agent manifests pass
# only `--config FILE`. The Helm charts (charts/isd, charts/isd-agent) always name the component.

FROM node:20-slim AS build
WORKDIR /app
COPY . .
# Install scripts are not needed by any component (npm 11 blocks them by default anyway).
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npx tsc -b sidecars/visibility sidecars/autopilot sidecars/sapor controller agent
# The Deck plugin repository (plugins.json + bundle) visibility serves to Gate (deckPlugin.dir in the isd chart).
RUN npm run package -w deck-plugin
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-slim
# git: sapor clones policy repositories with the git binary.
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
COPY --chmod=0755 <<'SCRIPT' /usr/local/bin/isd
#!/bin/sh
set -e
component=agent
case "$1" in
  visibility|autopilot|sapor|controller|agent) component="$1"; shift ;;
esac
# node_flags: TUNNEL_NODE_FLAGS (tunnel-proto/src/node-flags.ts says why).
node_flags=
case "$component" in
  visibility) main=sidecars/visibility/dist/main.js ;;
  autopilot) main=sidecars/autopilot/dist/main.js ;;
  sapor) main=sidecars/sapor/dist/main.js ;;
  controller) main=controller/dist/main.js; node_flags="--min-semi-space-size=8 --no-incremental-marking" ;;
  agent) main=agent/dist/main.js; node_flags="--min-semi-space-size=8 --no-incremental-marking" ;;
esac
exec node $node_flags "/app/$main" "$@"
SCRIPT
# HOME: the non-root user has no home directory; git and npm tooling want a writable one (an emptyDir in the charts).
ENV NODE_ENV=production HOME=/tmp
# Numeric, so Kubernetes can verify runAsNonRoot; the charts use the same id.
USER 10001:10001
EXPOSE 8085 8090 8096 9001 9002 9003 9102 9103
ENTRYPOINT ["/usr/local/bin/isd"]
