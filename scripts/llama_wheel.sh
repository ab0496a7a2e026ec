#!/bin/sh
# Builds llama-cpp-python once for this machine's CPU (see llama_cmake_args.sh) and prints the
# folder holding the wheel, for `pip install --find-links`. The wheel is cached under a key of the
# version, the Python and the CMake flags, so later installs take seconds instead of minutes.
# Usage: llama_wheel.sh PYTHON VERSION
set -eu
python=$1
version=$2
here=$(cd "$(dirname "$0")" && pwd)
args=$(sh "$here/llama_cmake_args.sh")
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
key=$(printf '%s|%s|%s' "$version" "$pyver" "$args" | sha256sum | cut -c1-16)
dir=${XDG_CACHE_HOME:-$HOME/.cache}/hearth-lsp/wheels/$key
if ! ls "$dir"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $version for this CPU (a few minutes, once): $args" >&2
  mkdir -p "$dir.tmp"
  CMAKE_ARGS="$args" "$python" -m pip wheel --no-deps --no-cache-dir -w "$dir.tmp" \
    "llama-cpp-python==$version" >&2
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
fi
echo "$dir"
