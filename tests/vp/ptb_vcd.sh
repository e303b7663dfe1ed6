#!/usr/bin/env bash
# The full 2-layer ptb benchmark end to end: it passes its golden check, its VCD stays under
# 5 MB, and GTKWave's vcd2fst converts that VCD without error (when gtkwave is installed).
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

must_pass ptb --config "$configs/ptb.yaml" --vcd ptb.vcd --stats ptb.json -q
[ "$(json ptb.json "s['golden']['passed'], len(s['runs'])")" = "(True, 2)" ] || problem "ptb: golden check or runs wrong"
size=$(stat -c %s ptb.vcd)
[ "$size" -lt $((5 * 1024 * 1024)) ] || problem "ptb.vcd is $size bytes, want under 5 MB"
if command -v vcd2fst >/dev/null; then
    vcd2fst ptb.vcd ptb.fst >vcd2fst.log 2>&1 || problem "vcd2fst failed: $(cat vcd2fst.log)"
    [ -s ptb.fst ] || problem "vcd2fst wrote no FST"
else
    echo "SKIP vcd2fst (gtkwave not installed)"
fi
finish
