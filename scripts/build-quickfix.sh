#!/usr/bin/env bash
# Builds QuickFIX/C++'s example acceptors (executor: FIX 4.x, fills every limit order; ordermatch:
# FIX 4.2, matches orders between sessions) from Debian's libquickfix-doc sources, for the FIX
# interop tests and the README's walkthrough. The binaries are kept in dist/quickfix/ and rebuilt
# only when missing. Needs: apt-get install libquickfix-dev libquickfix-doc g++ (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=/usr/share/doc/libquickfix-doc/examples
OUT=dist/quickfix
if [ ! -d "$EXAMPLES" ] || [ ! -e /usr/include/quickfix/Application.h ]; then
  echo "build-quickfix: QuickFIX is not installed (apt-get install libquickfix-dev libquickfix-doc g++)" >&2
  exit 1
fi
mkdir -p "$OUT"

build() {
  local name=$1 sources=$2 srcdir=$3
  if [ -x "$OUT/$name" ]; then
    echo "build-quickfix: $OUT/$name is built"
    return
  fi
  local work
  work=$(mktemp -d)
  cp -r "$srcdir"/. "$work"/
  # Debian ships the sources gzipped; the examples include a config.h that only autotools makes.
  find "$work" -name '*.gz' -exec gunzip -f {} +
  touch "$work/config.h"
  echo "build-quickfix: building $name (some seconds)"
  (cd "$work" && g++ -std=c++11 -O1 -w -I. -o "$name" $sources -lquickfix -lpthread)
  mv "$work/$name" "$OUT/$name"
  rm -rf "$work"
}

build executor "executor.cpp Application.cpp" "$EXAMPLES/executor/C++"
build ordermatch "ordermatch.cpp Application.cpp Market.cpp" "$EXAMPLES/ordermatch"
