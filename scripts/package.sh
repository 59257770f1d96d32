#!/usr/bin/env bash
# Builds the Debian package: the release binary, then the man page, shell
# completions and icons generated from it, then cargo-deb. Prints the .deb's path.
# Needs: cargo install cargo-deb
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
"$target/release/pos-recs" assets --out build/deb-assets >/dev/null
cargo deb --no-build --quiet >&2
ls -t "$target"/debian/pos-recs_*.deb | head -1
