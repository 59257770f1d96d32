#!/usr/bin/env bash
# Builds the Debian package: the release binary, then the man page, shell
# completions and icons generated from it, then cargo-deb. Prints the .deb's path.
# Needs: cargo install cargo-deb
#
# PACKAGE_PROFILE=dev packages the debug binary already built (by the tests)
# instead of building a release one, into PACKAGE_OUT (default target/debian):
# tests/package.rs installs that package, so the suite never builds twice.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${PACKAGE_PROFILE:-release}
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
out=${PACKAGE_OUT:-$target/debian}
case "$profile" in
  release) cargo build --release --quiet; binary=$target/release/pos-recs ;;
  dev) binary=$target/debug/pos-recs ;;
  *) echo "package.sh: PACKAGE_PROFILE is release or dev" >&2; exit 2 ;;
esac
[ -x "$binary" ] || { echo "package.sh: $binary is not built" >&2; exit 2; }
"$binary" assets --out build/deb-assets >/dev/null
mkdir -p "$out"
# cargo-deb maps the manifest's target/release/ assets to the profile's folder.
cargo deb --no-build --quiet --profile "$profile" --output "$out" >&2
ls -t "$out"/pos-recs_*.deb | head -1
