#!/usr/bin/env bash
# End-to-end tests: the real Handover binary in a real WebKitGTK window under Xvfb, driven through
# tauri-driver and WebKitWebDriver, with the real OS keyring (a throwaway gnome-keyring on a
# private D-Bus session). Needs HANDOVER_APP (the desktop binary); `make e2e` sets it.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${HANDOVER_APP:?set HANDOVER_APP to the handover-desktop binary (make e2e does)}"
command -v tauri-driver >/dev/null || { echo "tauri-driver not found (make deps-test installs it)"; exit 1; }
command -v WebKitWebDriver >/dev/null || { echo "WebKitWebDriver not found (apt: webkit2gtk-driver)"; exit 1; }

export HANDOVER_E2E_ARTIFACTS="${HANDOVER_E2E_ARTIFACTS:-${CARGO_TARGET_DIR:-target}/e2e-artifacts}"
mkdir -p "$HANDOVER_E2E_ARTIFACTS"

# A free X display for our own Xvfb.
display=99
while [ -e "/tmp/.X${display}-lock" ] || [ -e "/tmp/.X11-unix/X${display}" ]; do display=$((display + 1)); done
# Large enough for the 1920x1080 screenshots; the window opens at its configured 1280x800.
Xvfb ":$display" -screen 0 "${HANDOVER_E2E_SCREEN:-1920x1080x24}" -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill $xvfb_pid 2>/dev/null || true' EXIT
export DISPLAY=":$display"
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo >/dev/null 2>&1 || { echo "Xvfb did not start on $DISPLAY"; exit 1; }

# Optional arguments: particular test files (default: all of tests/e2e/).
if [ $# -gt 0 ]; then files=("$@"); else files=(tests/e2e/); fi
scripts/with-keyring.sh node --test --test-concurrency=1 "${files[@]}"
