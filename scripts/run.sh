#!/usr/bin/env bash
# Runs CityLoop on http://127.0.0.1:5080 with an embedded SQLite database under ./data and, on first run,
# the demo city. Extra arguments go to the server (e.g. --urls http://0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
# The embedded database lives in ./data of the checkout unless a database is configured.
if [ -z "${Database__ConnectionString:-}" ] && [ "${Database__Provider:-sqlite}" = "sqlite" ]; then
  mkdir -p data
  export Database__ConnectionString="Data Source=$(pwd)/data/cityloop.db"
fi
# Callers' data is encrypted with a key file outside the database; Development creates it here on first run.
export Privacy__KeyFile="${Privacy__KeyFile:-$(pwd)/data/privacy.keys}"
exec dotnet run --project src/CityLoop.Server -c Release --no-launch-profile -- "$@"
