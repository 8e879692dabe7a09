#!/usr/bin/env bash
# Runs every test of CityLoop: installs what the tests need (PostgreSQL, Chromium, a CJK font) when it is missing,
# then `dotnet test` over the whole solution. The tests start and stop their own throwaway PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wqy" || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing packages: ${need[*]}. Install them (apt-get install ${need[*]}) or run this script as root." >&2
    exit 1
  fi
  echo "Installing ${need[*]} …"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# A cluster from the package is not needed: the tests run their own (see tests/*/Infrastructure/PostgresServer.cs).
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters -h 2>/dev/null | awk '$4=="online"{print $1, $2}' | while read -r v c; do pg_ctlcluster "$v" "$c" stop || true; done
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build CityLoop.slnx -c Release -nologo -clp:ErrorsOnly
dotnet test CityLoop.slnx -c Release --no-build -nologo --logger "console;verbosity=minimal" "$@"
