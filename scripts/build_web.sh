#!/usr/bin/env bash
# Vendor the socket.io JS client into web/vendor/ from npm (pinned by web/package-lock.json),
# so the chat widget never loads code from a CDN. web/vendor/ and web/node_modules/ are not committed.
set -euo pipefail
cd "$(dirname "$0")/../web"

if ! command -v npm >/dev/null 2>&1; then
  echo "build_web.sh: npm is not installed. Install Node.js 18+ (it ships npm), then run 'make setup' again." >&2
  exit 1
fi

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

src=node_modules/socket.io-client/dist/socket.io.min.js
if [ ! -f "$src" ]; then
  echo "build_web.sh: $src is missing after npm install" >&2
  exit 1
fi
mkdir -p vendor
cp "$src" vendor/socket.io.min.js
[ -f "$src.map" ] && cp "$src.map" vendor/socket.io.min.js.map
version=$(node -p "require('./node_modules/socket.io-client/package.json').version" 2>/dev/null || echo "?")
echo "web/vendor/socket.io.min.js: socket.io-client $version"
