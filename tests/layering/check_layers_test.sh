#!/usr/bin/env bash
# tests/layering/check_layers_test.sh CHECK ROOT: the layer check passes on the tree as it is and
# fails, naming the file and the header, on each violation planted in a copy of it.
set -euo pipefail
check=$1
root=$2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree=$work/tree
mkdir "$tree"
# The sources only: no build trees, node_modules or tests (which the check skips anyway).
tar -C "$root" --exclude=./build --exclude='./build-*' --exclude=node_modules --exclude=./tests \
    --exclude=./.git -cf - . | tar -C "$tree" -xf -

failures=0
out=$work/out

expect_pass() {
  if "$check" "$tree" >"$out" 2>&1; then
    echo "ok: the clean tree passes: $(cat "$out")"
  else
    echo "FAIL: the clean tree fails:"; cat "$out"; failures=$((failures + 1))
  fi
}

# expect_violation FILE LINE WHAT: appends LINE to FILE (relative to the tree), runs the check,
# restores FILE. The check must fail and name FILE and the header it includes.
expect_violation() {
  local file=$1 line=$2 header=$3 existed=1
  [[ -e $tree/$file ]] || existed=0
  if ((existed)); then cp "$tree/$file" "$work/saved"; else mkdir -p "$(dirname "$tree/$file")"; fi
  printf '%s\n' "$line" >>"$tree/$file"
  local status=0
  "$check" "$tree" >"$out" 2>&1 || status=$?
  if ((existed)); then cp "$work/saved" "$tree/$file"; else rm "$tree/$file"; fi
  if ((status == 0)); then
    echo "FAIL: '$line' in $file passes the check"; failures=$((failures + 1))
  elif ! grep -F "$file" "$out" | grep -qF "$header"; then
    echo "FAIL: '$line' in $file fails, but the output does not name $file and $header:"
    cat "$out"; failures=$((failures + 1))
  else
    echo "ok: '$line' in $file: $(grep -F "$file" "$out")"
  fi
}

expect_pass
# The three of the review that the quoted-only check let through.
expect_violation core/entry.hpp '#include <boost/asio.hpp>' 'boost/asio.hpp'
expect_violation server/hub.cpp '#include "storage/sqlite_store.hpp"' 'storage/sqlite_store.hpp'
expect_violation protocol/codec.cpp '#include <sqlite3.h>' 'sqlite3.h'
# The same rules, spelled otherwise or one layer over.
expect_violation server/hub.cpp '#include <storage/sqlite_store.hpp>' 'storage/sqlite_store.hpp'
expect_violation server/hub.cpp '#include "../storage/sqlite_store.hpp"' 'storage/sqlite_store.hpp'
expect_violation server/hub.cpp '#include "storage/memory_store.hpp"' 'storage/memory_store.hpp'
expect_violation storage/store.hpp '#include <sqlite3.h>' 'sqlite3.h'
expect_violation core/level.cpp '#include <unistd.h>' 'unistd.h'
expect_violation protocol/codec.cpp '#include <zlib.h>' 'zlib.h'
expect_violation cli/main.cpp '#include "core/level.hpp"' 'core/level.hpp'
expect_violation cli/main.cpp '#include "protocol/timestamp.hpp"' 'protocol/timestamp.hpp'
expect_violation client/include/smartlog/client.hpp '#include <boost/asio.hpp>' 'boost/asio.hpp'
expect_violation web/assets.cpp '#include "server/hub.hpp"' 'server/hub.hpp'
expect_violation bench/main.cpp '#include "core/entry.hpp"' 'core/entry.hpp'
expect_violation core/entry.hpp '#include HEADER' 'computed'
# Cluster mode: the server knows the Bus interface only; the bus knows nothing of the server.
expect_violation server/hub.cpp '#include "cluster/redis_bus.hpp"' 'cluster/redis_bus.hpp'
expect_violation server/hub.cpp '#include <hiredis/hiredis.h>' 'hiredis/hiredis.h'
expect_violation cluster/redis_bus.cpp '#include "server/hub.hpp"' 'server/hub.hpp'
expect_violation cluster/bus.hpp '#include <boost/asio.hpp>' 'boost/asio.hpp'
# A folder nobody gave a rule.
expect_violation shard/bus.cpp '#include <vector>' 'in no layer'

# After all that, the copy is clean again.
expect_pass

if ((failures)); then
  echo "$failures case(s) failed"
  exit 1
fi
echo "all cases hold"
