#!/usr/bin/env bash
# Puts the bundled demo messages (assets/demo-mailbox) into DATA_DIR/mailbox once, for `make run`.
# The app ingests them from there and moves each to mailbox/processed/ once it is stored.
# With HANDOVER_CLI (the handover binary), it also imports the demo patients' practice medication
# lists (assets/demo-practice-lists.csv) once, so the medicines reconciliation has something to
# compare with. That needs the keyring, as the app does.
set -euo pipefail
data_dir=${1:?usage: demo-mailbox.sh DATA_DIR}
cd "$(dirname "$0")/.."
mkdir -p "$data_dir/mailbox"
if [ ! -e "$data_dir/.demo-mailbox-copied" ]; then
  cp assets/demo-mailbox/* "$data_dir/mailbox/"
  touch "$data_dir/.demo-mailbox-copied"
  echo "Demo mailbox: $(ls assets/demo-mailbox | wc -l) messages copied to $data_dir/mailbox"
fi
if [ -n "${HANDOVER_CLI:-}" ] && [ ! -e "$data_dir/.demo-lists-imported" ]; then
  if HANDOVER_DATA_DIR="$data_dir" "$HANDOVER_CLI" medlist import assets/demo-practice-lists.csv >/dev/null; then
    touch "$data_dir/.demo-lists-imported"
    echo "Demo practice medication lists imported into $data_dir"
  else
    echo "Demo practice medication lists were not imported (see above); the reconciliation will say so." >&2
  fi
fi
