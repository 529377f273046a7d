#!/bin/sh
# Builds the Rust NIF in release mode and installs it as priv/viva_tensor_nif.so,
# the path viva_tensor_nif:init/0 loads. Called by rebar3's pre-hook, `make nif`
# and therefore by mix (manager: :rebar3).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v cargo >/dev/null 2>&1; then
    echo "viva_tensor: cargo not found on PATH; install Rust (https://rustup.rs) to build the NIF" >&2
    exit 1
fi
cargo build --release -p viva_tensor_nif
target_dir=${CARGO_TARGET_DIR:-$root/target}
case "$(uname -s)" in
    Darwin) lib=libviva_tensor_nif.dylib ;;
    *) lib=libviva_tensor_nif.so ;;
esac
mkdir -p priv
# Copy to a temporary name then rename, so a running VM that has the old
# library mapped never sees a half-written file.
cp "$target_dir/release/$lib" priv/viva_tensor_nif.so.tmp
mv priv/viva_tensor_nif.so.tmp priv/viva_tensor_nif.so
