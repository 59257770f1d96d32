#!/usr/bin/env bash
# The README's screenshot of What works with sales and the comparison group:
# scripts/demo_sales.py fills a demo till's history through its POS link
# (300 made-up sales over 14 days, comparison group 20 %), then the real
# window shows it under Xvfb, driven with xdotool.
# Needs: apt-get install -y xvfb xdotool x11-apps; pip install pillow
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/what-works-sales.png}
w=1500 h=1800
cargo build --release --quiet --bin pos-recs
home=$(mktemp -d)
python3 scripts/demo_sales.py --sales 300 --days 14 --keep "$home" >/dev/null
export DISPLAY=:95 XDG_RUNTIME_DIR=$(mktemp -d)
rm -f /tmp/.X95-lock
Xvfb :95 -screen 0 "${w}x${h}x24" >/dev/null 2>&1 & xvfb=$!
app=
trap 'kill $app $xvfb 2>/dev/null || true' EXIT
sleep 1
XDG_CONFIG_HOME=$(mktemp -d) XDG_CACHE_HOME=$(mktemp -d) XDG_DATA_HOME=$(mktemp -d) \
  target/release/pos-recs --config "$home/config.toml" --setup >/dev/null 2>&1 & app=$!
wid=
for _ in $(seq 100); do wid=$(xdotool search --name '^pos-recs$' 2>/dev/null | head -1) && [ -n "$wid" ] && break; sleep 0.2; done
sleep 2
until xdotool windowfocus --sync "$wid" 2>/dev/null; do sleep 0.3; done
xdotool windowmove "$wid" 0 0 windowsize "$wid" "$w" "$h"; sleep 1
# The first manager PIN (--setup), then What works in the manager menu.
xdotool key F2; sleep 1
xdotool type --delay 60 123456; sleep 0.5; xdotool key Tab; sleep 0.5
xdotool type --delay 60 123456; sleep 0.5; xdotool key Return; sleep 2
xdotool mousemove 190 30 click 1; sleep 2
xdotool mousemove $((w - 1)) $((h - 1)); sleep 1
xwd -root -silent > "$home/screen.xwd"
python3 - "$home/screen.xwd" "$out" <<'PY'
import struct, sys
from PIL import Image
data = open(sys.argv[1], "rb").read()
h = struct.unpack(">25I", data[:100])
size, width, height, bytes_per_line, colours = h[0], h[4], h[5], h[12], h[19]
start = size + colours * 12
Image.frombuffer("RGBX", (width, height), data[start:start + bytes_per_line * height],
                 "raw", "BGRX", bytes_per_line, 1).convert("RGB").save(sys.argv[2])
PY
echo "screenshot: $out"
