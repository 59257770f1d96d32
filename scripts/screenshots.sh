#!/usr/bin/env bash
# Refreshes the README screenshots under Xvfb, each from the release binary
# driven with xdotool the way a cashier drives it.
# Needs: apt-get install -y xvfb xdotool imagemagick
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/release/pos-recs
# Whatever this script started stops with it, even when a step fails: a
# till or an Xvfb left behind would take the next run's display.
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
cargo build --release --quiet

# shoot WIDTH HEIGHT OUT CONFIG_HOME [ARGS…] -- STEPS…
# Starts the till in a WIDTHxHEIGHT screen, runs the xdotool steps (each an
# argument list for xdotool, or "sleep N"), and saves the screen to OUT.
shoot() {
  local w=$1 h=$2 out=$3 home=$4; shift 4
  local args=()
  while [ "$1" != "--" ]; do args+=("$1"); shift; done; shift
  export DISPLAY=:95 XDG_RUNTIME_DIR=$(mktemp -d)
  rm -f /tmp/.X95-lock
  Xvfb :95 -screen 0 "${w}x${h}x24" >/dev/null 2>&1 & local xvfb=$!
  pids+=("$xvfb")
  sleep 1
  XDG_CONFIG_HOME="$home" XDG_CACHE_HOME=$(mktemp -d) XDG_DATA_HOME="${DATA_HOME:-$(mktemp -d)}" "$bin" "${args[@]}" >/dev/null 2>&1 & local app=$!
  pids+=("$app")
  local wid=""
  for _ in $(seq 100); do
    wid=$(xdotool search --name '^pos-recs$' 2>/dev/null | head -1) && [ -n "$wid" ] && break
    sleep 0.2
  done
  sleep 2
  until xdotool windowfocus --sync "$wid" 2>/dev/null; do sleep 0.3; done
  xdotool windowmove "$wid" 0 0 windowsize "$wid" "$w" "$h"; sleep 1
  xdotool mousemove $((w - 1)) $((h - 1))
  for step in "$@"; do
    case "$step" in
      sleep\ *) sleep "${step#sleep }" ;;
      *) eval "xdotool $step" ;;
    esac
  done
  mkdir -p "$(dirname "$out")"
  import -window root "$out"
  kill "$app" "$xvfb" 2>/dev/null || true
  wait "$app" "$xvfb" 2>/dev/null || true
  echo "screenshot: $out"
}

demo_home=$(mktemp -d) # no config: the built-in demo shop
export DATA_HOME=$(mktemp -d) # a fresh history, never the user's
phone='type --delay 20 0671234567'

shoot 1440 900 docs/screenshot.png "$demo_home" -- "$phone" "key Return" "sleep 3"
shoot 1024 768 docs/screenshot-1024x768.png "$demo_home" -- "$phone" "key Return" "sleep 3"
shoot 1920 1080 docs/screenshot-1920x1080.png "$demo_home" -- "$phone" "key Return" "sleep 3"
# The basket scanned first (F3), then the customer: cross-sell fills from it.
shoot 1024 768 docs/screenshot-basket.png "$demo_home" -- \
  "key F3" "type --delay 20 SKU-1001" "key Return" "type --delay 20 SKU-1004" "key Return" \
  "key Escape" "$phone" "key Return" "sleep 3"
# Keyboard only: Down onto the first card, Enter opens its details (QR code,
# and the SKU barcode of a till without a POS link).
shoot 1440 900 docs/screenshot-details.png "$demo_home" -- \
  "$phone" "key Return" "sleep 2" "key Down" "sleep 0.5" "key Right" "sleep 0.5" "key Return" "sleep 2"

# The manager's "What works" page after a few customers, a look at a card and
# two sales (F4), on the demo's own history file.
shoot 1440 900 docs/what-works.png "$demo_home" -- \
  "key F3" "type --delay 20 SKU-1001" "key Return" "key Escape" "$phone" "key Return" "sleep 2" \
  "key Down" "sleep 0.3" "key F4" "sleep 0.3" "key Right" "sleep 0.3" "key Return" "sleep 1" \
  "key Escape" "sleep 0.5" "key Escape" "type --delay 20 2000123456789" "key Return" "sleep 2" \
  "key Down" "sleep 0.3" "key F4" "sleep 0.5" "key Escape" "type --delay 20 olena@example.com" \
  "key Return" "sleep 2" "key F2" "sleep 1" "type --delay 60 123456" "sleep 0.5" "key Tab" \
  "sleep 0.5" "type --delay 60 123456" "sleep 0.5" "key Return" "sleep 2" \
  "sleep 1" "mousemove 190 30 click 1" "sleep 2"

port=18473
"$bin" demo-server --port $port >/dev/null & server=$!
pids+=("$server")
sleep 1
dir=$(mktemp -d)
mkdir -p "$dir/pos-recs"
cat > "$dir/pos-recs/config.toml" <<TOML
[yespo]
base_url = "http://127.0.0.1:$port/api"
api_key = "demo-key"

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
shoot 1440 900 docs/screenshot-uk-dark.png "$dir" -- "$phone" "key Return" "sleep 3"
# The manager's settings: a till set up deliberately (--setup) gets its first
# PIN; after a lookup, so the sources' tags are offered.
shoot 1440 900 docs/settings.png "$dir" --setup -- \
  "$phone" "key Return" "sleep 2" "key F2" "sleep 1" \
  "type --delay 60 123456" "sleep 0.5" "key Tab" "sleep 0.5" "type --delay 60 123456" "sleep 0.5" \
  "key Return" "sleep 2"

# Kiosk mode with the customer window: the till on the cashier's monitor
# (left), the customer window moved to the customer-facing one (right); a
# card chosen with the keyboard and F5 ("Show to customer").
kiosk=$(mktemp -d)
mkdir -p "$kiosk/pos-recs"
cat > "$kiosk/pos-recs/config.toml" <<TOML
[yespo]
base_url = "http://127.0.0.1:$port/api"
api_key = "demo-key"

[display]
currency = "UAH"
image_field = "tags_picture"
kiosk = true
customer_screen = "window"

[manager]
pin_hash = "\$argon2id\$v=19\$m=19456,t=2,p=1\$c2FsdHNhbHQ\$aGFzaGhhc2hoYXNoaGFzaA"

[[sources]]
id = 1246
title = "Picked for this customer"
kind = "personal"
show_tags = ["clear_size", "gender"]
max_cards = 6

[[sources]]
id = 1244
title = "You may also like"
kind = "upsell"
show_tags = ["clear_size", "color"]
max_cards = 6
TOML
shoot 2340 900 docs/customer-screen.png "$kiosk" -- \
  "windowsize \$wid 1440 900" "sleep 1" \
  "search --name customer windowmove %1 1440 0 windowsize %1 900 900" "sleep 1" \
  "windowfocus --sync \$wid" "$phone" "key Return" "sleep 2" "key Down" "sleep 0.3" "key Right" \
  "sleep 0.3" "key Right" "sleep 0.3" "key F5" "sleep 2"
