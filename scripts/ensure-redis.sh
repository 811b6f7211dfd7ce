#!/usr/bin/env bash
# Makes sure Debian's redis-server (and redis-cli) are installed: the examples and the tests start
# their own throwaway servers on free loopback ports, so nothing needs to be running. Skipped when
# REDIS_URL points at a server of your own.
set -euo pipefail
if [ -n "${REDIS_URL:-}" ] || { command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; }; then
  exit 0
fi
echo "redis-server was not found: installing Debian's redis-server package" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq redis-server openssl >/dev/null
# The package starts a system service on 6379; redmoon's tests and examples do not use it.
if command -v systemctl >/dev/null 2>&1; then $sudo systemctl stop redis-server >/dev/null 2>&1 || true; fi
