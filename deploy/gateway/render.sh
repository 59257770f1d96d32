#!/usr/bin/env bash
# Renders nginx.conf.template with the variables it lists (see its header),
# taken from the environment; every variable must be set.
# Usage: VAR=… … deploy/gateway/render.sh > nginx.conf
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python3 - "$here/nginx.conf.template" <<'PY'
import os, re, sys
text = open(sys.argv[1]).read()
def value(match):
    name = match.group(1)
    if name not in os.environ:
        sys.exit(f"render.sh: {name} is not set")
    return os.environ[name]
# Only ${UPPER_CASE} names are ours; nginx's own $variables stay as they are.
print(re.sub(r"\$\{([A-Z_]+)\}", value, text), end="")
PY
