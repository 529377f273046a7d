#!/bin/sh
# The hex package, installed the way a Gleam user gets it: `make package`
# builds build/viva_tensor-<vsn>.tar (Gleam sources, Erlang sources and the
# prebuilt NIF in priv/); this script unpacks it into a scratch directory,
# makes a fresh Gleam project that depends on it by path, and runs that
# project's test with cargo and rustc off PATH — so nothing can be rebuilt
# from Rust sources, and the native library in the tarball must load.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tarball=$(ls "$root"/build/viva_tensor-*.tar | head -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/viva_tensor"
tar -xf "$tarball" -C "$work"
tar -xzf "$work/contents.tar.gz" -C "$work/viva_tensor"
test -f "$work/viva_tensor/priv/viva_tensor_nif.so" || {
    echo "package check: the tarball has no priv/viva_tensor_nif.so" >&2
    exit 1
}
test ! -d "$work/viva_tensor/native" || {
    echo "package check: the tarball unexpectedly ships Rust sources" >&2
    exit 1
}

mkdir -p "$work/app/src" "$work/app/test"
cp "$here/app_gleam.toml" "$work/app/gleam.toml"
cp "$here/app.gleam.txt" "$work/app/src/app.gleam"
cp "$here/app_test.gleam.txt" "$work/app/test/app_test.gleam"

# PATH without any directory that holds cargo or rustc
clean_path=""
old_ifs=$IFS
IFS=:
for dir in $PATH; do
    if [ -x "$dir/cargo" ] || [ -x "$dir/rustc" ]; then
        continue
    fi
    clean_path="${clean_path:+$clean_path:}$dir"
done
IFS=$old_ifs

cd "$work/app"
env PATH="$clean_path" sh -c 'if command -v cargo >/dev/null; then echo "cargo still on PATH" >&2; exit 1; fi; gleam test'
