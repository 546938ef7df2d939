#!/usr/bin/env bash
# Fails when a lower layer includes a higher one (the layering rule of the README, "Development").
set -euo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root"

# layer -> the layers it may include (besides itself)
declare -A allowed=(
  [core]=""
  [protocol]="core"
  [storage]="core"
  [cluster]="core protocol storage"
  [server]="core protocol storage cluster"
  [client]="core protocol client"
  [cli]="core protocol client"
  [web]=""
)
status=0
for layer in "${!allowed[@]}"; do
  [[ -d $layer ]] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    included=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    [[ $included == "$layer" ]] && continue
    if [[ " ${allowed[$layer]} " != *" $included "* ]]; then
      echo "layering: $file includes $included/ (a $layer file may include: ${allowed[$layer]:-nothing else})"
      status=1
    fi
  done < <(grep -rHE '^#include "[a-z_]+/' "$layer" --include='*.hpp' --include='*.cpp' || true)
done
[[ $status -eq 0 ]] && echo "layering: ok"
exit $status
