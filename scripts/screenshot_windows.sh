#!/usr/bin/env bash
# A screenshot of the Windows till under Wine and Xvfb, on a Wine virtual
# desktop (so the window has its Windows title bar), after a demo lookup.
# Usage: eval "$(scripts/windows.sh)"; scripts/screenshot_windows.sh [out.png] [input]
# Needs: xvfb xdotool imagemagick, and what scripts/windows.sh set up.
set -euo pipefail
out=${1:-docs/screenshot-windows.png}
input=${2:-0671234567}
: "${POS_RECS_WINDOWS_EXE:?run eval \"\$(scripts/windows.sh)\" first}"
: "${WINE:=wine64}"
export DISPLAY=:94 WINEDEBUG=-all
rm -f /tmp/.X94-lock
Xvfb :94 -screen 0 1280x860x24 >/dev/null 2>&1 & xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true; "${WINE%wine64}wineserver" -k 2>/dev/null || true' EXIT
sleep 1
"$WINE" explorer /desktop=pos-recs,1280x860 "$POS_RECS_WINDOWS_EXE" & app=$!
for _ in $(seq 150); do
  wid=$(xdotool search --name 'pos-recs' 2>/dev/null | tail -1) && [ -n "$wid" ] && break
  sleep 0.2
done
sleep 8
xdotool mousemove 640 430 click 1
sleep 1
xdotool type --delay 30 "$input"; xdotool key Return
sleep 6
mkdir -p "$(dirname "$out")"
import -window root "$out"
echo "screenshot: $out"
