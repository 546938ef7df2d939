#!/usr/bin/env bash
# Installs what smartlog needs on Debian 12, and nothing that is already there.
# Idempotent: `make` calls it before every build; it costs one dpkg query when all is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev
  libssl-dev libsqlite3-dev libtomlplusplus-dev libcli11-dev
  libfmt-dev libspdlog-dev libgtest-dev libhiredis-dev libsimdjson-dev
  chromium redis-server
  # The standard ingest formats (docs/ingest.md): protobuf, snappy and gzip; rsyslog and
  # util-linux logger (bsdutils) for the syslog tests.
  libprotobuf-dev protobuf-compiler libsnappy-dev zlib1g-dev rsyslog bsdutils
  prometheus  # promtool checks the /metrics text in tests/integration/http_api.test.js
  nginx       # the reverse proxy of docs/operations.md, tested by tests/e2e/nginx.test.js
  systemd     # systemd-analyze verifies packaging/smartlogd.service
  # The format check and the fuzz smoke of `make test` (libFuzzer comes with clang's runtime).
  clang-format-14 clang-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node may come from Debian or from another vendor that bundles npm: ask for the commands.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Test clients, the shippers of the ingest tests and the browser driver come from the npm
# registry, pinned by the lock file; reinstalled when the lock file is newer than what npm last
# installed.
if [[ -f tests/package-lock.json ]] &&
   [[ ! -f tests/node_modules/.package-lock.json ||
      tests/package-lock.json -nt tests/node_modules/.package-lock.json ]]; then
  (cd tests && npm ci --no-audit --no-fund --silent)
fi

# The dashboard's chart library, embedded into smartlogd by web/CMakeLists.txt. Reinstalled
# when the lock file is newer than what npm last installed.
if [[ -f web/package-lock.json ]] &&
   [[ ! -f web/node_modules/.package-lock.json ||
      web/package-lock.json -nt web/node_modules/.package-lock.json ]]; then
  (cd web && npm ci --no-audit --no-fund --silent)
fi
