#!/usr/bin/env bash
# Takes a screenshot of the till when the network is down: one customer
# looked up online (the shared sources' answers are kept), then the shop's
# server stopped and the next customer looked up.
# Usage: scripts/screenshot_offline.sh [binary] [out.png]
# Needs: apt-get install -y xvfb xdotool imagemagick
set -euo pipefail
bin=${1:-target/release/pos-recs}
out=${2:-docs/offline.png}
work=$(mktemp -d)
export DISPLAY=:98 XDG_RUNTIME_DIR=$work/run XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/pos-recs"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" demo-server --port "$port" > "$work/demo.txt" & shop=$!
rm -f /tmp/.X98-lock
Xvfb :98 -screen 0 1440x900x24 >/dev/null 2>&1 & xvfb=$!
trap 'kill $app $shop $xvfb 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q '^\[yespo\]' "$work/demo.txt" 2>/dev/null && break; sleep 0.1; done
sed -n '/^\[yespo\]/,$p' "$work/demo.txt" > "$XDG_CONFIG_HOME/pos-recs/config.toml"
"$bin" & app=$!
for _ in $(seq 50); do
  wid=$(xdotool search --name '^pos-recs$' 2>/dev/null | head -1) && [ -n "$wid" ] && break
  sleep 0.2
done
sleep 2
xdotool windowmove "$wid" 0 0 windowsize "$wid" 1440 900 windowfocus --sync "$wid"
sleep 1
xdotool mousemove 1439 899
xdotool type --delay 20 "0671234567"; xdotool key Return
sleep 3
# Scroll the shared sections into view so their pictures are fetched (and kept) too.
xdotool mousemove 700 500 click --repeat 25 --delay 30 5
sleep 3
xdotool mousemove 1439 899
# The network goes.
kill $shop; wait $shop 2>/dev/null || true
xdotool key Escape
xdotool type --delay 20 "0501112233"; xdotool key Return
sleep 2
xdotool mousemove 700 500 click --repeat 30 --delay 30 4
xdotool mousemove 1439 899
sleep 1
mkdir -p "$(dirname "$out")"
import -window root "$out"
echo "screenshot: $out"
