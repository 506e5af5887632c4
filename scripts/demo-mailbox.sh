#!/usr/bin/env bash
# Puts the bundled demo messages (assets/demo-mailbox) into DATA_DIR/mailbox once, for `make run`.
# The app ingests them from there and moves each to mailbox/processed/ once it is stored.
set -euo pipefail
data_dir=${1:?usage: demo-mailbox.sh DATA_DIR}
cd "$(dirname "$0")/.."
mkdir -p "$data_dir/mailbox"
if [ ! -e "$data_dir/.demo-mailbox-copied" ]; then
  cp assets/demo-mailbox/* "$data_dir/mailbox/"
  touch "$data_dir/.demo-mailbox-copied"
  echo "Demo mailbox: $(ls assets/demo-mailbox | wc -l) messages copied to $data_dir/mailbox"
fi
