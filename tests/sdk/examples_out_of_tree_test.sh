#!/usr/bin/env bash
# Builds the SDK examples exactly as a third party would: against an install prefix of
# eppd and nothing else, then loads them with the installed eppd.
#   examples_out_of_tree_test.sh <eppd build dir> <eppd source dir> <work dir>
set -euo pipefail
build=$1 src=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >"$work/install.log"
test -x "$prefix/bin/eppd" || { echo "FAIL: no $prefix/bin/eppd"; exit 1; }
test -f "$prefix/include/epp/abi.h" || { echo "FAIL: SDK headers not installed"; exit 1; }
ls "$prefix"/lib*/cmake/eppsdk/eppsdkConfig.cmake >/dev/null

# The examples are copied out of the source tree so nothing but the prefix can be found.
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
for ex in c cpp; do
  cp -r "$src/sdk/examples/$ex" "$work/src-$ex"
  cmake -S "$work/src-$ex" -B "$work/build-$ex" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >"$work/configure-$ex.log"
  cmake --build "$work/build-$ex" -j2 >"$work/build-$ex.log" 2>&1 ||
    { cat "$work/build-$ex.log"; echo "FAIL: example $ex did not build"; exit 1; }
done
ctest --test-dir "$work/build-cpp" --output-on-failure

out=$("$prefix/bin/eppd" plugins list --plugin-dir "$work/build-c" --plugin-dir "$work/build-cpp")
echo "$out"
for type in example-load-scorer example-label-match-filter; do
  grep -q "$type" <<<"$out" || { echo "FAIL: eppd plugins list does not show $type"; exit 1; }
done
json=$("$prefix/bin/eppd" plugins list --json --plugin-dir "$work/build-c" --plugin-dir "$work/build-cpp")
grep -q '"example-load-scorer"' <<<"$json" || { echo "FAIL: --json lacks the C example"; exit 1; }
echo "PASS: both examples built out of tree against $prefix and loaded"
