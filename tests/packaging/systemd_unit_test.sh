#!/usr/bin/env bash
# packaging/smartlogd.service passes `systemd-analyze verify` with no warning: every key is one
# systemd knows, and ExecStart= points to an executable (the smartlogd just built, put where the
# unit expects it through a copy of the unit). Also: its --check-config start step accepts a
# configuration like the one docs/operations.md installs.
# Usage: systemd_unit_test.sh UNIT SMARTLOGD
set -euo pipefail
unit=$1 smartlogd=$2

if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze is missing: scripts/install-deps.sh installs it (package systemd)"
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/smartlog-unit-XXXXXX")
trap 'rm -rf "$work"' EXIT

sed "s|/usr/local/bin/smartlogd|$smartlogd|g; s|/etc/smartlog/smartlog.toml|$work/smartlog.toml|g" \
  "$unit" >"$work/smartlogd.service"
# systemd-analyze returns 0 on unknown keys: any output at all is a failure.
out=$(systemd-analyze verify "$work/smartlogd.service" 2>&1) || { echo "$out"; exit 1; }
if [[ -n $out ]]; then echo "$out"; exit 1; fi

cat >"$work/smartlog.toml" <<'TOML'
[server]
listen = "127.0.0.1:3001"

[[apps]]
id = "shop"

[[users]]
id = "ops"
token_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
apps = { shop = ["read", "write", "clear"] }
TOML
SMARTLOG_DATA_DIR=/var/lib/smartlog "$smartlogd" --config "$work/smartlog.toml" --check-config
echo "ok: systemd-analyze verify found nothing to say"
