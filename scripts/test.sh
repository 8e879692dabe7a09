#!/usr/bin/env bash
# Runs every test of CityLoop: installs what the tests need (PostgreSQL, Chromium, a CJK font) when it is missing,
# then `dotnet test` over the whole solution. The tests start and stop their own throwaway PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wqy" || need+=(fonts-wqy-microhei)
[ -x /usr/bin/pdftotext ] || need+=(poppler-utils)
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
# The tests start their own throwaway cluster on a free loopback port and stop only that one (see
# tests/*/Infrastructure/PostgresServer.cs): a PostgreSQL server already running here — a developer's own database —
# is left alone.

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build CityLoop.slnx -c Release -nologo -clp:ErrorsOnly
# One test project at a time: the machine has two cores and the browser journeys need them.
status=0
log=$(mktemp)
for project in tests/CityLoop.Domain.Tests tests/CityLoop.Server.Tests tests/CityLoop.Browser.Tests; do
  dotnet test "$project" -c Release --no-build -nologo --logger "console;verbosity=minimal" "$@" 2>&1 | tee -a "$log" || status=$?
done
# One closing line over all projects: "N passed, N failed".
grep -E "^(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+" "$log" \
  | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+).*/\1 \2/' \
  | awk '{f+=$1; p+=$2} END {printf "%d passed, %d failed\n", p, f; exit (f > 0)}' || status=1
rm -f "$log"
exit $status
