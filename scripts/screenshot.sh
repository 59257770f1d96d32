#!/usr/bin/env bash
# Takes a screenshot of the app under Xvfb after a demo lookup.
# Usage: scripts/screenshot.sh [binary] [out.png] [input]
# Needs: apt-get install -y xvfb xdotool imagemagick
set -euo pipefail
bin=${1:-target/release/pos-recs}
out=${2:-docs/screenshot.png}
input=${3:-0671234567}
export DISPLAY=:99 XDG_RUNTIME_DIR=$(mktemp -d)
rm -f /tmp/.X99-lock
Xvfb :99 -screen 0 1440x900x24 >/dev/null 2>&1 & xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true' EXIT
sleep 1
XDG_CONFIG_HOME=${XDG_CONFIG_HOME:-$(mktemp -d)} XDG_DATA_HOME=${XDG_DATA_HOME:-$(mktemp -d)} "$bin" & app=$!
for _ in $(seq 50); do
  wid=$(xdotool search --name '^pos-recs$' 2>/dev/null | head -1) && [ -n "$wid" ] && break
  sleep 0.2
done
sleep 2
xdotool windowmove "$wid" 0 0 windowsize "$wid" 1440 900 windowfocus --sync "$wid"
sleep 1
xdotool mousemove 1439 899
xdotool type --delay 20 "$input"; xdotool key Return
sleep 3
mkdir -p "$(dirname "$out")"
import -window root "$out"
echo "screenshot: $out"
