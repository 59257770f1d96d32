#!/usr/bin/env bash
# Runs every measurement and prints one report (markdown tables).
# Cold start needs a display: Xvfb is started when none is set
# (apt-get install -y xvfb mesa-vulkan-drivers).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${DISPLAY:-}" ] && command -v Xvfb >/dev/null 2>&1; then
  Xvfb :97 -screen 0 3840x3200x24 >/dev/null 2>&1 & xvfb=$!
  trap 'kill $xvfb 2>/dev/null || true' EXIT
  export DISPLAY=:97 XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
  sleep 1
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), rustc $(rustc --version | cut -d' ' -f2)"
cargo build --release --quiet --bin pos-recs --example empty_window
cargo bench --quiet --bench perf 2>/dev/null
