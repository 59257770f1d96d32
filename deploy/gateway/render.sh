#!/usr/bin/env bash
# Renders nginx.conf.template with the variables it lists (see its header),
# taken from the environment. `${NAME:-default}` in the template has a
# default; every other variable must be set.
# Usage: VAR=… … deploy/gateway/render.sh OUT
# OUT is written with mode 0600: it holds the account's key. (Without OUT
# the configuration goes to standard output, for a pipe.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-}
render() {
  python3 - "$here/nginx.conf.template" <<'PY'
import os, re, sys
text = open(sys.argv[1]).read()
def value(match):
    name, default = match.group(1), match.group(3)
    if name in os.environ:
        return os.environ[name]
    if default is not None:
        return default
    sys.exit(f"render.sh: {name} is not set")
# Only ${UPPER_CASE} names are ours; nginx's own $variables stay as they are.
print(re.sub(r"\$\{([A-Z_]+)(:-([^}]*))?\}", value, text), end="")
PY
}
if [ -z "$out" ]; then
  render
  exit 0
fi
# Made private before the key is written into it, then moved into place.
umask 077
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
render > "$tmp"
chmod 600 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
