#!/usr/bin/env bash
# Assembles a runnable single-node OpenSearch from Maven Central into TOOLS_DIR/opensearch-v<version>/ for the
# autopilot log-provider tests (Java 17 runs OpenSearch up to 2.19.x). Skips the work when it is there.
#   lib/                        the server and its dependencies (pom.xml, profile "server")
#   modules/transport-netty4/   the HTTP/transport module (profile "netty"), with its descriptor and policy
#   config/                     opensearch.yml and log4j2.properties, copied into each run's own directory
#   opensearch                  the launcher tests find with requireTool('opensearch'):
#                               opensearch RUN_DIR HTTP_PORT TRANSPORT_PORT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools_dir="${1:?usage: install.sh TOOLS_DIR}"
version="$(sed -n 's:.*<opensearch.version>\(.*\)</opensearch.version>.*:\1:p' "$here/pom.xml")"
dir="$tools_dir/opensearch-v$version"
if [ -x "$dir/opensearch" ]; then
  echo "opensearch $version: present"
  exit 0
fi
command -v mvn >/dev/null || { echo "install-test-tools: Maven (mvn) is needed to fetch OpenSearch's jars" >&2; exit 1; }
command -v java >/dev/null || { echo "install-test-tools: Java 17 is needed to run OpenSearch" >&2; exit 1; }
echo "opensearch $version: fetching its jars from Maven Central..."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$here" && mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/lib")
(cd "$here" && mvn -q -B -P '!server,netty' dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory="$tmp/modules/transport-netty4")
mkdir -p "$tmp/config" "$tmp/bin" "$tmp/plugins"
cat > "$tmp/modules/transport-netty4/plugin-descriptor.properties" <<DESCRIPTOR
description=Netty 4 based transport and HTTP
version=$version
name=transport-netty4
classname=org.opensearch.transport.Netty4Plugin
java.version=11
opensearch.version=$version
extended.plugins=
has.native.controller=false
DESCRIPTOR
# What the module needs under OpenSearch's security manager: accept and make connections, name its threads'
# class loader, and Netty's NIO bug-level property.
cat > "$tmp/modules/transport-netty4/plugin-security.policy" <<'POLICY'
grant codeBase "${codebase.netty-common}" {
  permission java.io.FilePermission "/proc/sys/net/core/somaxconn", "read";
  permission java.net.SocketPermission "*", "accept,connect";
  permission java.lang.RuntimePermission "*", "setContextClassLoader";
};
grant codeBase "${codebase.netty-transport}" {
  permission java.util.PropertyPermission "sun.nio.ch.bugLevel", "write";
};
POLICY
cat > "$tmp/config/opensearch.yml" <<'YAML'
cluster.name: isd-test
discovery.type: single-node
network.host: 127.0.0.1
YAML
cat > "$tmp/config/log4j2.properties" <<'LOG4J'
status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
rootLogger.level = warn
rootLogger.appenderRef.console.ref = console
LOG4J
cat > "$tmp/opensearch" <<'LAUNCHER'
#!/usr/bin/env bash
# opensearch RUN_DIR HTTP_PORT TRANSPORT_PORT: a single-node OpenSearch on 127.0.0.1 keeping its config, data
# and logs in RUN_DIR. OpenSearch refuses to run as root, so as root it runs as nobody.
set -euo pipefail
home="$(cd "$(dirname "$0")" && pwd)"
run="${1:?usage: opensearch RUN_DIR HTTP_PORT TRANSPORT_PORT}"
http_port="${2:?HTTP_PORT}"
transport_port="${3:?TRANSPORT_PORT}"
mkdir -p "$run/config" "$run/data" "$run/logs"
cp "$home/config/"* "$run/config/"
as=()
if [ "$(id -u)" = 0 ]; then
  # nobody may not be able to reach the checkout (a home directory is often 0700): run from a copy in RUN_DIR.
  cp -r "$home" "$run/home"
  home="$run/home"
  chmod 755 "$run"
  chown -R 65534:65534 "$run"
  as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
exec "${as[@]}" java -Xms256m -Xmx256m -XX:+UseSerialGC -Djava.security.manager=allow \
  -Dopensearch.path.home="$home" -Dopensearch.path.conf="$run/config" \
  -Dopensearch.distribution.type=tar -Dopensearch.bundled_jdk=false \
  -cp "$home/lib/*" org.opensearch.bootstrap.OpenSearch \
  -E http.port="$http_port" -E transport.port="$transport_port" \
  -E path.data="$run/data" -E path.logs="$run/logs"
LAUNCHER
chmod 755 "$tmp/opensearch"
chmod -R a+rX "$tmp"
mkdir -p "$tools_dir"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
echo "opensearch $version: installed in $dir"
