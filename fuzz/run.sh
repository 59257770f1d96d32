#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 180) each, starting from the
# small seed corpora in corpus_seeds/. Stable toolchain: RUSTC_BOOTSTRAP
# lets cargo-fuzz pass its flags; no sanitizer (it needs nightly's runtime).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-180}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for target in item_parser config_loader identifier; do
  mkdir -p "corpus/$target"
  cp -n corpus_seeds/$target/* "corpus/$target/" 2>/dev/null || true
  RUSTC_BOOTSTRAP=1 cargo fuzz run -s none "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -print_final_stats=1 2>&1 | tail -n 25
done
