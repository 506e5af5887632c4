#!/usr/bin/env bash
# Fetches the public NHS example Transfer of Care documents and ITK3 responses the corpus tests
# read (scripts/corpus-files.tsv: pinned commits of nhsconnect/STU3-FHIR-Assets) into DIR, and
# checks each file's size. Safe to rerun: files already there with the right size are kept.
# Usage: scripts/fetch-corpus.sh DIR
set -euo pipefail
dir="${1:?usage: scripts/fetch-corpus.sh DIR}"
list="$(dirname "$0")/corpus-files.tsv"
base="https://raw.githubusercontent.com/nhsconnect/STU3-FHIR-Assets"
fetched=0 kept=0
while IFS=$'\t' read -r target source commit size; do
  case "$target" in ''|\#*) continue ;; esac
  out="$dir/$target"
  if [ -f "$out" ] && [ "$(stat -c %s "$out")" = "$size" ]; then kept=$((kept + 1)); continue; fi
  mkdir -p "$(dirname "$out")"
  url="$base/$commit/$(printf '%s' "$source" | sed 's/ /%20/g')"
  curl -fsSL --retry 3 -o "$out.part" "$url" || { echo "cannot fetch $url" >&2; exit 1; }
  got="$(stat -c %s "$out.part")"
  if [ "$got" != "$size" ]; then
    echo "$target: $got bytes, expected $size (from $url)" >&2
    rm -f "$out.part"
    exit 1
  fi
  mv "$out.part" "$out"
  fetched=$((fetched + 1))
done < "$list"
echo "NHS corpus in $dir: $fetched fetched, $kept already there"
