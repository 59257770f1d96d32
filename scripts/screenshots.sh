#!/usr/bin/env bash
# Refreshes the README screenshots under Xvfb: English/light on the built-in
# demo, and Ukrainian/dark against `pos-recs demo-server` with a config file.
# Needs: apt-get install -y xvfb xdotool imagemagick
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/pos-recs
cargo build --release --quiet
scripts/screenshot.sh "$bin" docs/screenshot.png 0671234567

port=18473
"$bin" demo-server --port $port >/dev/null & server=$!
trap 'kill $server 2>/dev/null || true' EXIT
sleep 1
dir=$(mktemp -d)
cat > "$dir/config.toml" <<TOML
[yespo]
base_url = "http://127.0.0.1:$port/api"

[display]
currency = "UAH"
image_field = "tags_picture"
theme = "dark"
language = "uk"

[[sources]]
id = 1246
title = "Підібрано для покупця"
kind = "personal"
show_tags = ["clear_size", "gender"]
max_cards = 6

[[sources]]
id = 1244
title = "Вам також сподобається"
kind = "upsell"
show_tags = ["clear_size", "color"]
max_cards = 6

[[sources]]
id = 1245
title = "Хіти продажів"
kind = "bestsellers"
show_tags = ["gender"]
max_cards = 6
TOML
mkdir -p "$dir/pos-recs" && mv "$dir/config.toml" "$dir/pos-recs/config.toml"
XDG_CONFIG_HOME="$dir" scripts/screenshot.sh "$bin" docs/screenshot-uk-dark.png 0671234567

# The manager's settings (first use: set a PIN), after a lookup so tags are offered.
export DISPLAY=:96 XDG_RUNTIME_DIR=$(mktemp -d)
Xvfb :96 -screen 0 1440x900x24 >/dev/null 2>&1 & xvfb=$!
sleep 1
XDG_CONFIG_HOME="$dir" "$bin" & app=$!
for _ in $(seq 50); do
  wid=$(xdotool search --name '^pos-recs$' 2>/dev/null | head -1) && [ -n "$wid" ] && break
  sleep 0.2
done
sleep 2
xdotool windowmove "$wid" 0 0 windowsize "$wid" 1440 900 windowfocus --sync "$wid"; sleep 1
xdotool mousemove 1439 899
xdotool type --delay 40 0671234567; xdotool key Return; sleep 2
xdotool key F2; sleep 1
xdotool type --delay 60 1234; sleep 0.5; xdotool key Tab; sleep 0.5
xdotool type --delay 60 1234; sleep 0.5; xdotool key Return; sleep 2
import -window root docs/settings.png
kill $app $xvfb 2>/dev/null || true
echo "screenshot: docs/settings.png"
