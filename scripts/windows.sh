#!/usr/bin/env bash
# The Windows till, made on this Linux machine:
#   1. installs what it needs with apt when root (Debian's Rust with the
#      standard library's source, MinGW, Wine, wixl);
#   2. cross-builds pos-recs.exe with Debian's cargo and rustc (rustup's
#      toolchain has no Windows standard library here): -Zbuild-std, the
#      MinGW linker, a target directory of its own (target/windows);
#   3. packages the MSI with wixl (assets/windows/pos-recs.wxs), versioned
#      like the .deb;
#   4. prepares Wine for the tests: a prefix of its own, and the
#      bcryptprimitives.dll stand-in beside a test copy of the .exe (Wine 8
#      lacks ProcessPrng; real Windows has it, and it is never shipped).
# Prints the environment the Windows tests read (tests/windows.rs):
#   POS_RECS_WINDOWS_EXE=… POS_RECS_WINDOWS_MSI=… WINEPREFIX=… WINE=…
# Usage: eval "$(scripts/windows.sh)"; cargo nextest run -E 'test(/^windows::/)'
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(rustc-web cargo-web rust-web-src mingw-w64 wine64 wixl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "windows.sh: needs: sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
  echo "windows.sh: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's cargo and rustc by their full paths: rustup's come first on PATH.
debian_cargo=$(dpkg -L cargo-web | grep -m1 -E '/bin/cargo$')
debian_rustc=$(dpkg -L rustc-web | grep -m1 -E '/bin/rustc$')
out=$PWD/target/windows
triple=x86_64-pc-windows-gnu
# release for what ships; the tests take the quicker wine-test (Cargo.toml).
profile=${POS_RECS_WINDOWS_PROFILE:-release}
echo "windows.sh: cross-building ($profile) with $("$debian_rustc" --version)" >&2
RUSTC=$debian_rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=$out \
  CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
  "$debian_cargo" build --profile "$profile" --quiet -Zbuild-std=std,panic_abort --target $triple >&2
mkdir -p "$out/msi" "$out/wine"
x86_64-w64-mingw32-strip -o "$out/msi/pos-recs.exe" "$out/$triple/$profile/pos-recs.exe"

# The icon from the same drawing as the Linux one.
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
cargo build --quiet --bin pos-recs >&2
linux_target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
"$linux_target/debug/pos-recs" assets --out "$out/msi/assets" >/dev/null
python3 scripts/windows/make_ico.py "$out/msi/pos-recs.ico" \
  "$out/msi/assets/pos-recs-48.png" "$out/msi/assets/pos-recs-128.png" "$out/msi/assets/pos-recs-256.png"
msi=$out/pos-recs-$version-x64.msi
# wixl takes the files' paths relative to here (absolute ones it refuses).
relative=${out#"$PWD"/}
wixl -a x64 -D Version="$version" -D Binary="$relative/msi/pos-recs.exe" -D Icon="$relative/msi/pos-recs.ico" \
  -D ConfigExample=assets/config.example.toml -o "$msi" assets/windows/pos-recs.wxs >&2

# Wine for the tests.
# A hard link, not a copy: the unoptimised test build is over 100 MB.
ln -f "$out/msi/pos-recs.exe" "$out/wine/pos-recs.exe"
x86_64-w64-mingw32-gcc -shared -O2 -o "$out/wine/bcryptprimitives.dll" \
  scripts/windows/bcryptprimitives-shim.c -ladvapi32
# Debian's wine64 package keeps its launcher out of PATH.
wine=$(command -v wine64 || dpkg -L wine64 | grep -m1 -E '/wine64$')
export WINEPREFIX=$out/wineprefix WINEDEBUG=-all
if [ ! -d "$WINEPREFIX/drive_c" ]; then
  DISPLAY= timeout 300 "$wine" wineboot -i </dev/null >/dev/null 2>&1 || true
  # wineboot returns while Wine's services still set the prefix up: wait
  # for them (and their wineserver) to finish, so no test starts them.
  wineserver=$(dirname "$wine")/wineserver
  [ -x "$wineserver" ] || wineserver=$(command -v wineserver || echo wineserver)
  timeout 300 "$wineserver" -w </dev/null >/dev/null 2>&1 || true
fi
# The MSI's installs under Wine need the stand-in too.
cp "$out/wine/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/" 2>/dev/null || true
echo "export POS_RECS_WINDOWS_EXE=$out/wine/pos-recs.exe POS_RECS_WINDOWS_MSI=$msi WINEPREFIX=$WINEPREFIX WINEDEBUG=-all WINE=$wine"
