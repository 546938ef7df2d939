#!/usr/bin/env bash
# Installs the build into a temporary prefix, builds examples/spdlog_app against the installed
# package (find_package(smartlog)), runs it against the installed smartlogd and checks with the
# installed `smartlog` that its lines arrived with their levels.
# Usage: example_test.sh CMAKE BUILD_DIR EXAMPLE_SOURCE_DIR
set -euo pipefail
cmake=$1 build=$2 example=$3

work=$(mktemp -d "${TMPDIR:-/tmp}/smartlog-example-XXXXXX")
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$cmake" --install "$build" --prefix "$work/prefix" >"$work/install.log"
for f in bin/smartlogd bin/smartlog include/smartlog/client.hpp include/smartlog/spdlog_sink.hpp; do
  [[ -e $work/prefix/$f ]] || { echo "not installed: $f"; exit 1; }
done
ls "$work"/prefix/lib*/libsmartlog_client.a >/dev/null
ls "$work"/prefix/lib*/cmake/smartlog/smartlogConfig.cmake >/dev/null

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
"$cmake" -S "$example" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log" || { cat "$work/configure.log"; exit 1; }
"$cmake" --build "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

"$work/prefix/bin/smartlogd" --listen 127.0.0.1:0 --data-dir "$work/data" >"$work/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 1 200); do
  port=$(sed -nE 's|.*listening on http://127\.0\.0\.1:([0-9]+)/.*|\1|p' "$work/server.log" | head -1)
  [[ -n $port ]] && break
  sleep 0.05
done
[[ -n $port ]] || { echo "smartlogd did not start"; cat "$work/server.log"; exit 1; }
url="ws://127.0.0.1:$port/"

env -u SMARTLOG_TOKEN SMARTLOG_URL="$url" SMARTLOG_USER=example SMARTLOG_APP=spdlog_app \
  "$work/build/spdlog_app" 2>"$work/app.log" || { cat "$work/app.log"; exit 1; }

"$work/prefix/bin/smartlog" history --url "$url" -u checker -a spdlog_app >"$work/history.txt"
cat "$work/history.txt"
expect() { grep -qE "$1" "$work/history.txt" || { echo "missing: $1"; exit 1; }; }
expect 'DEBUG configuration loaded from /etc/spdlog_app.toml .*"logger":"spdlog_app"'
expect 'INFO  spdlog_app 1.0 started'
expect 'WARN  cache is 91% full'
expect 'ERROR payment 1234 failed: card declined'
expect 'FATAL database unreachable'
expect 'DEBUG a viewer of errors only would ask for 2 levels'
[[ $(wc -l <"$work/history.txt") -eq 6 ]] || { echo "expected 6 entries"; exit 1; }
echo "example: ok"
