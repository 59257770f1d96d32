#!/usr/bin/env bash
# Makes a till's token: 256 random bits as 64 lowercase hex digits, the only
# form the gateway accepts. Prints the tokens.map line for the gateway, which
# ties the token to its store and till (the till may write reports only under
# reports/STORE/TILL/), and, on stderr, the token to give to that till
# (till_token or POS_RECS_TILL_TOKEN).
# Usage: deploy/gateway/new-till-token.sh STORE TILL   (e.g. kyiv-01 till-3)
# STORE and TILL are the till's [fleet] store and till.
set -euo pipefail
usage='usage: new-till-token.sh STORE TILL   (the till'"'"'s [fleet] store and till)'
store=${1:?$usage}
till=${2:?$usage}
for name in "$store" "$till"; do
  # The same rule as the till's config and the chain's reader.
  if ! [[ $name =~ ^[A-Za-z0-9_-]{1,64}$ ]]; then
    echo "new-till-token.sh: a store or till name is letters, digits, '_' and '-' (at most 64): $name" >&2
    exit 2
  fi
done
token=$(openssl rand -hex 32 | tr 'A-F' 'a-f')
printf '"Bearer %s" %s/%s;\n' "$token" "$store" "$till"
printf 'till token for %s/%s: %s\n' "$store" "$till" "$token" >&2
