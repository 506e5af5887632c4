#!/usr/bin/env bash
# End-to-end MESH rate, side by side (docs/benchmarks.md):
#  1. `handover sync --once`: download N generated ToC messages from NHS's mesh-sandbox, parse,
#     store them encrypted, acknowledge each, and send their ITK3 responses;
#  2. NHS's Python mesh-client alone: list, download and acknowledge the same N messages.
# Usage: HANDOVER_CLI=path/to/release/handover scripts/bench-mesh.sh [N]   (N <= 500: one page)
# Runs inside scripts/with-keyring.sh (the store's key lives in the OS keyring).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-300}
cli=${HANDOVER_CLI:?set HANDOVER_CLI to the handover binary (a release build for figures)}
venv=${HANDOVER_TEST_VENV:-$HOME/.cache/handover/venv}
if [ -z "${HANDOVER_IN_KEYRING_SESSION:-}" ]; then exec scripts/with-keyring.sh "$0" "$@"; fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/handover-bench-mesh.XXXXXX")
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
STORE_MODE=memory AUTH_MODE=full SHARED_KEY=TestKey "$venv/bin/python" -m uvicorn mesh_sandbox.api:app \
  --host 127.0.0.1 --port "$port" --workers 1 --log-level warning >"$scratch/sandbox.log" 2>&1 &
sandbox=$!
trap 'kill $sandbox 2>/dev/null || true; rm -rf "$scratch"' EXIT
url="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -fs "$url/health" >/dev/null 2>&1 && break; sleep 0.2; done

"$cli" fixtures --count "$n" --seed 9 --out "$scratch/fx" 2>/dev/null
# Responses go back to the sending mailbox (X26ABC2), which exists in the sandbox.
sed -i -E 's/(<endpoint value=")[A-Z0-9]+(")/\1X26ABC2\2/; s/("endpoint": *")[A-Z0-9]+(")/\1X26ABC2\2/' "$scratch"/fx/*
send() {
  "$venv/bin/python" tests/e2e/mesh_send.py --url "$url" --mailbox X26ABC2 --password password \
    --shared-key TestKey --to X26ABC1 --workflow TOC_FHIR_IP_DISCH "$scratch"/fx/* >/dev/null
}
now() { date +%s.%N; }

send
start=$(now)
HANDOVER_DATA_DIR="$scratch/data" HANDOVER_MESH_URL="$url" HANDOVER_MESH_MAILBOX=X26ABC1 \
  HANDOVER_MESH_PASSWORD=password HANDOVER_MESH_SHARED_KEY=TestKey "$cli" sync --once --json >"$scratch/summary.json"
handover_s=$(python3 -c "print($(now) - $start)")

send
start=$(now)
"$venv/bin/python" crates/mesh/tests/mesh_peer.py --url "$url" --mailbox X26ABC1 --password password \
  --shared-key TestKey receive --ack >/dev/null
python_s=$(python3 -c "print($(now) - $start)")

python3 - "$n" "$handover_s" "$python_s" "$scratch/summary.json" <<'PY'
import json, sys
n, h, p = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
summary = json.load(open(sys.argv[4]))
print(json.dumps({
    "messages": n,
    "handover_seconds": round(h, 2), "handover_messages_per_second": round(n / h, 1),
    "mesh_client_seconds": round(p, 2), "mesh_client_messages_per_second": round(n / p, 1),
    "handover_to_mesh_client_ratio": round((n / h) / (n / p), 2),
    "handover_summary": {k: summary[k] for k in ("downloaded", "stored", "acknowledged", "responses_sent")},
}, indent=2))
PY
