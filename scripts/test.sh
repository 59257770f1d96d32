#!/usr/bin/env bash
# The test command: sets up what the suite needs, then runs it.
#
#   scripts/test.sh [nextest arguments…]
#
# - cargo-nextest (the runner) and cargo-deb (the package test) are
#   installed with cargo when missing.
# - The system packages some tests drive for real are installed with apt
#   when this runs as root (or with sudo when it needs no password):
#     mesa-vulkan-drivers libvulkan1 libegl1 libgl1-mesa-dri  the UI snapshots (wgpu/GL on Mesa)
#     xvfb xdotool libxkbcommon0 libxkbcommon-x11-0           the real window (tests/window.rs)
#     desktop-file-utils                                      the package test (tests/package.rs)
#     nginx-light openssl ca-certificates                     the gateway (tests/gateway.rs, chain.rs, orders.rs)
#   Otherwise it names the exact command and goes on: those tests then say
#   "SKIPPED" loudly (and fail under CI, where CI=1).
# - The Windows build (scripts/windows.sh: Debian's Rust, MinGW, Wine, wixl;
#   about 6 minutes alone on 2 cores the first time, unoptimised: profile
#   wine-test) for tests/windows.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(mesa-vulkan-drivers libvulkan1 libxkbcommon0 libxkbcommon-x11-0 libegl1
  libgl1-mesa-dri xvfb xdotool desktop-file-utils nginx-light openssl ca-certificates)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi

if [ ${#missing[@]} -gt 0 ]; then
  as_root=()
  if [ "$(id -u)" -eq 0 ]; then
    as_root=(env)
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n env)
  fi
  if [ ${#as_root[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${missing[*]}" >&2
    # nginx is for the gateway tests, which start their own: never a system service.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      "${as_root[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d"
    fi
    "${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: some tests need system packages this user cannot install; they will say SKIPPED." >&2
    echo "test.sh: to run them all: sudo apt-get install ${missing[*]}" >&2
  fi
fi

command -v cargo-nextest >/dev/null 2>&1 || cargo install --locked cargo-nextest
# The package test packages the debug binary the tests built and installs it with dpkg.
command -v cargo-deb >/dev/null 2>&1 || cargo install --locked cargo-deb

# The Windows till (tests/windows.rs, under Wine): cross-built and packaged
# by scripts/windows.sh when its toolchain can be had (as root, with apt).
# POS_RECS_SKIP_WINDOWS=1 leaves it out (the tests then say SKIPPED).
# It runs beside the build of the Linux tests: each build spends minutes
# on one core (the last, largest crates), and the other fills that time.
#
# With no arguments (the whole suite, as CI runs it), the tests that need
# neither the Windows build nor the whole machine run while that build
# finishes at a lower priority (at full priority it slowed the tests' own
# build, and a test that times a fast failure saw 1.4 s); the Windows tests,
# the real window's (CPU and timing) and the package's (all cores) run
# after it, alone. With arguments, the build finishes first and one run
# takes them.
if [ -z "${POS_RECS_WINDOWS_EXE:-}" ] && [ -z "${POS_RECS_SKIP_WINDOWS:-}" ]; then
  windows_env=$(mktemp)
  POS_RECS_WINDOWS_PROFILE=${POS_RECS_WINDOWS_PROFILE:-wine-test} nice -n 10 bash scripts/windows.sh >"$windows_env" &
  windows_build=$!
  linux_build=0
  cargo nextest run --no-run "$@" || linux_build=$?
  if [ "$linux_build" -ne 0 ]; then
    kill "$windows_build" 2>/dev/null || true
    exit "$linux_build"
  fi
  alone='test(/^windows::/) | test(/^window::/) | test(/^package::/)'
  meanwhile=0
  if [ $# -eq 0 ]; then
    cargo nextest run -E "not ($alone)" || meanwhile=$?
  fi
  if wait "$windows_build"; then
    eval "$(cat "$windows_env")"
  else
    echo "test.sh: WARNING: the Windows build failed (see above); tests/windows.rs will say SKIPPED" >&2
  fi
  rm -f "$windows_env"
  if [ $# -eq 0 ]; then
    after=0
    cargo nextest run -E "$alone" || after=$?
    [ "$meanwhile" -eq 0 ] || exit "$meanwhile"
    exit "$after"
  fi
fi

exec cargo nextest run "$@"
