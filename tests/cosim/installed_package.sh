#!/usr/bin/env bash
# The installed package is relocatable: install BUILD to a fresh prefix, build the examples
# against it (no build tree on any search path, no package registry), then move the build tree
# away and the prefix elsewhere and run every example. The platform example runs
# configs/quick.yaml with host.kind: core, so it must find the built-in firmware in the moved
# prefix. Each example checks its h outputs against the golden LSTM and exits non-zero on a
# mismatch; the SoC example also checks its accelerator cycles against the moved prefix's
# elstm-vp (tests/cosim/soc.sh).
#   tests/cosim/installed_package.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(realpath "$1")
work=$(mktemp -d)
moved_build="$build.moved-away"
restore() {
  [[ -d "$moved_build" ]] && mv "$moved_build" "$build"
  rm -rf "$work"
}
trap restore EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
for example in cosim interconnect dma_contention platform soc; do
  cmake -S "examples/$example" -B "$work/examples/$example" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON >/dev/null
  found=$(sed -n 's/^elstm_vp_DIR:PATH=//p' "$work/examples/$example/CMakeCache.txt")
  case "$found" in
    "$work/prefix/"*) ;;
    *) echo "installed_package.sh: examples/$example found elstm_vp in '$found', not in $work/prefix" >&2; exit 1 ;;
  esac
  cmake --build "$work/examples/$example" -j "$(nproc)" >/dev/null
done

mv "$build" "$moved_build"
mv "$work/prefix" "$work/moved-prefix"
export SC_COPYRIGHT_MESSAGE=DISABLE
"$work/examples/cosim/cosim"
"$work/examples/interconnect/interconnect"
"$work/examples/dma_contention/dma_contention"
"$work/examples/platform/platform" configs/quick.yaml host.kind=core host.firmware=elstm trace.vcd=
bash tests/cosim/soc.sh "$work/moved-prefix/bin/elstm-vp" "$work/examples/soc/soc" .
echo "installed_package.sh: the examples ran from a moved prefix with the build tree gone"
