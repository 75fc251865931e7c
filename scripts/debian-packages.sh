#!/usr/bin/env bash
# Make sure the Debian packages named on the command line are installed.
# As root, installs the missing ones with apt-get; otherwise prints the exact command
# to run and fails, so `make` stops with a clear instruction instead of a later crash.
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages. Run this, then 'make' again:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
