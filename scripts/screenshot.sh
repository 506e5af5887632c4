#!/usr/bin/env bash
# Runs Handover on the demo mailbox in a private Xvfb display and keyring, waits for it to show
# the inbox, and saves a screenshot of the whole screen: for machines without a display.
#   HANDOVER_APP=path/to/handover-desktop [HANDOVER_CLI=path/to/handover] scripts/screenshot.sh OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: screenshot.sh OUT_DIR}
: "${HANDOVER_APP:?set HANDOVER_APP}"
mkdir -p "$out"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/handover-shot.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
display=99
while [ -e "/tmp/.X${display}-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true; rm -rf "$scratch"' EXIT
export DISPLAY=":$display"
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
HANDOVER_DATA_DIR="$scratch/data" HANDOVER_MAILBOX_DIR="$scratch/data/mailbox" \
  scripts/with-keyring.sh bash -c '
    scripts/demo-mailbox.sh "$HANDOVER_DATA_DIR" >/dev/null
    "$HANDOVER_APP" >/dev/null 2>&1 & app=$!
    sleep 8
    import -window root "'"$out"'/handover.png"
    kill $app'
echo "Saved $out/handover.png"
