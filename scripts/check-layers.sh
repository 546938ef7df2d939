#!/usr/bin/env bash
# scripts/check-layers.sh [ROOT]: fails when a source file includes a header its layer may not
# (docs/architecture.md). Every #include counts, quoted or angle-bracketed: a project header is
# allowed by its path ("core/", "storage/store.hpp"), an outside one by its family (std, fmt,
# boost.asio, sqlite3, ...). A file that belongs to no layer fails too, so a new folder is given
# its rule here before it builds. tests/ is not a layer: tests may include anything.
set -euo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root"

# Header families: name -> extended regex over the included path.
declare -A family=(
  [std]='[a-z0-9_]+'  # the C++ standard library: <vector>, <cstdint> (C headers have a ".h")
  [fmt]='fmt/[a-z_]+\.h'
  [boost.json]='boost/json(/[a-z_/]+)?\.hpp'
  [boost.system]='boost/system/[a-z_/]+\.hpp'
  [boost.asio]='boost/asio(/[a-z_/]+)?\.hpp'
  [boost.beast]='boost/beast(/[a-z_/]+)?\.hpp'
  [boost.beast.sources]='boost/beast/[a-z0-9_/]+\.(ipp|hpp)'  # Beast's compiled part and its detail headers (websocket/)
  [boost.version]='boost/version\.hpp'  # which Boost, where a definition depends on it (websocket/)
  [openssl]='openssl/[a-z0-9_]+\.h'
  [spdlog]='spdlog/[a-z_/]+\.h'
  [cli11]='CLI/CLI\.hpp'
  [toml++]='toml\+\+/toml\.h'
  [sqlite3]='sqlite3\.h'
  [zlib]='zlib\.h'
  [snappy]='snappy\.h'
  [protobuf]='google/protobuf/[a-z_/]+\.h'
  [sse2]='emmintrin\.h'
  [hiredis]='hiredis/[a-z_]+\.h'
  [simdjson]='simdjson\.h'
)

# Layer rules, the first whose file pattern matches wins (so the narrower come first):
# name; file pattern (extended regex over the path from the root); what its files may include:
# family names, folders ("core/": any header under it) and single headers ("storage/store.hpp",
# "unistd.h"). A layer's own folder is not implied: it is listed.
rules=(
  # The installed client headers: what a user of the package sees (smartlog::client).
  "client-api;^client/include/;std spdlog smartlog/"
  "client;^client/;std boost.asio boost.beast smartlog/ client/ core/ protocol/"
  # The command-line tool is a user of the client library like any other.
  "cli;^cli/;std cli11 boost.json unistd.h smartlog/ cli/"
  "core;^core/;std fmt sse2 core/"
  # smartlog_protocol_ingest (protocol/CMakeLists.txt): the standard ingest formats; the rest of
  # protocol/ goes into the client library, which carries neither protobuf, zlib nor snappy.
  "protocol-ingest;^protocol/(ingest_common|decompress|otlp_decoder|loki_decoder|syslog|text_lines)\.(cpp|hpp)$;std fmt boost.json boost.system zlib snappy protobuf core/ protocol/"
  "protocol;^protocol/;std boost.json boost.system sse2 simdjson core/ protocol/"
  # Beast compiled once, with its own UTF-8 check of text frames replaced.
  "websocket;^websocket/;std boost.beast boost.beast.sources boost.version simdjson"
  # smartlog_store_interface: all the server may know of storage.
  "store-interface;^storage/(store|memory_store)\.hpp$;std core/ storage/store.hpp"
  # Boost.Asio: the store worker's io_context and timers (storage/store_worker.hpp).
  "storage;^storage/;std sqlite3 boost.asio fcntl.h sys/file.h unistd.h core/ storage/"
  # smartlog_bus_interface: all the server may know of cluster mode.
  "bus-interface;^cluster/(bus|redis_url)\.hpp$;std core/ protocol/messages.hpp"
  # smartlog_cluster: the Redis client (Asio, hiredis's reader) and the bus on it.
  "cluster;^cluster/;std boost.asio hiredis core/ protocol/ cluster/"
  "server;^server/;std boost.asio boost.beast boost.json boost.system openssl spdlog fmt cli11 toml++ unistd.h malloc.h sys/socket.h sys/types.h sys/ioctl.h sys/resource.h sys/statvfs.h linux/sockios.h core/ protocol/ server/ storage/store.hpp cluster/bus.hpp cluster/redis_url.hpp"
  "web;^web/;std web/"
  # smartlogd's main: the one place that picks the concrete store and wires the layers.
  "app;^app/;std spdlog fmt fcntl.h pwd.h unistd.h core/ server/ storage/ cluster/ web/"
  # The load generator talks to smartlogd over the wire only: no smartlog header.
  "bench;^bench/;std boost.asio boost.beast boost.json boost.system fmt hiredis fcntl.h netinet/in.h signal.h string.h sys/prctl.h sys/resource.h sys/socket.h sys/wait.h unistd.h bench/"
  "examples;^examples/;std spdlog smartlog/"
)

# One regex per rule from its list.
declare -a rule_name rule_files rule_allowed rule_text
for r in "${rules[@]}"; do
  IFS=';' read -r name files allowed <<<"$r"
  alts=()
  for item in $allowed; do
    if [[ -n ${family[$item]:-} ]]; then
      alts+=("${family[$item]}")
    elif [[ $item == */ ]]; then
      alts+=("${item//./\\.}[A-Za-z0-9_/.-]+")
    else
      item=${item//./\\.}
      alts+=("${item//+/\\+}")
    fi
  done
  rule_name+=("$name")
  rule_files+=("$files")
  rule_allowed+=("^($(IFS='|'; echo "${alts[*]}"))\$")
  rule_text+=("$allowed")
done

rule_of() {  # sets `rule` to the index of the first rule matching path $1, or -1
  rule=-1
  local i
  for i in "${!rule_files[@]}"; do
    if [[ $1 =~ ${rule_files[$i]} ]]; then rule=$i; return; fi
  done
}

mapfile -t files < <(find . \( -name '.*' -a ! -name . -o -name node_modules -o -path ./tests \
                              -o -path './build*' \) -prune \
                          -o -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \
                                        -o -name '*.cc' -o -name '*.hh' -o -name '*.ipp' \) -print \
                     | sed 's|^\./||' | LC_ALL=C sort)
status=0
fail() { echo "layering: $*"; status=1; }

declare -A file_rule=()
for f in "${files[@]}"; do
  rule_of "$f"
  if ((rule < 0)); then
    fail "$f is in no layer: give its folder a rule in scripts/check-layers.sh and docs/architecture.md"
  fi
  file_rule[$f]=$rule
done

includes=0
include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^">]*)[">]'
while IFS= read -r line; do
  f=${line%%:*}
  rest=${line#*:}
  n=${rest%%:*}
  text=${rest#*:}
  rule=${file_rule[$f]:--1}
  ((rule >= 0)) || continue
  includes=$((includes + 1))
  if [[ ! $text =~ $include_re ]]; then
    fail "$f:$n: a computed #include cannot be checked: name the header"
    continue
  fi
  header=${BASH_REMATCH[2]}
  if [[ ${BASH_REMATCH[1]} == '<' ]]; then spelled="<$header>"; else spelled="\"$header\""; fi
  if [[ $header == *..* || $header == /* ]]; then
    fail "$f:$n: $spelled: spell project headers from the root (\"core/entry.hpp\")"
  elif [[ ! $header =~ ${rule_allowed[$rule]} ]]; then
    fail "$f:$n: $spelled is not allowed in ${rule_name[$rule]} (it may include: ${rule_text[$rule]})"
  fi
done < <(if ((${#files[@]})); then
           grep -nHE '^[[:space:]]*#[[:space:]]*include' "${files[@]}" || true  # 1: none at all
         fi)

if ((status == 0)); then
  echo "layering: ok (${#files[@]} files, $includes includes)"
fi
exit $status
