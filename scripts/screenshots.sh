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
