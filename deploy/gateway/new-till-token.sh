#!/usr/bin/env bash
# Makes a till's token: 256 random bits as 64 lowercase hex digits, the only
# form the gateway accepts. Prints the tokens.map line for the gateway and,
# on stderr, the token to give to that till (till_token or POS_RECS_TILL_TOKEN).
# Usage: deploy/gateway/new-till-token.sh TILL-NAME   (e.g. kyiv-01-till-3)
set -euo pipefail
name=${1:?usage: new-till-token.sh TILL-NAME}
if ! [[ $name =~ ^[A-Za-z0-9._-]{1,64}$ ]]; then
  echo "new-till-token.sh: a till name is letters, digits, '.', '_' and '-' (at most 64)" >&2
  exit 2
fi
token=$(openssl rand -hex 32 | tr 'A-F' 'a-f')
printf '"Bearer %s" %s;\n' "$token" "$name"
printf 'till token for %s: %s\n' "$name" "$token" >&2
