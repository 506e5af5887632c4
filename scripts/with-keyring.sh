#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a throwaway, unlocked gnome-keyring (the
# Secret Service), so tests use the real OS keyring without touching the user's own.
#   scripts/with-keyring.sh CMD [ARGS...]
set -euo pipefail

if [ -z "${HANDOVER_IN_KEYRING_SESSION:-}" ]; then
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/handover-keyring.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
  export HANDOVER_IN_KEYRING_SESSION=1
  # gnome-keyring keeps its files under XDG_DATA_HOME; WebKit and others use the rest.
  export XDG_DATA_HOME="$scratch/data" XDG_CONFIG_HOME="$scratch/config" XDG_CACHE_HOME="$scratch/cache"
  export XDG_RUNTIME_DIR="$scratch/runtime"
  mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
  export NO_AT_BRIDGE=1
  set +e
  dbus-run-session -- "$0" "$@"
  rc=$?
  set -e
  exit $rc
fi

# Inside the session: start gnome-keyring's Secret Service and unlock a fresh login keyring.
eval "$(printf 'handover-test-keyring' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
export GNOME_KEYRING_CONTROL
# The daemon exits with the private bus when dbus-run-session ends.
exec "$@"
