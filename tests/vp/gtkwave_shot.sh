#!/usr/bin/env bash
# GTKWave end to end: a real trace of quick.yaml opened through its .gtkw in the real gtkwave under
# Xvfb, the screen dumped with xwd: gtkwave loaded it (the window title names the VCD, its log
# the end time) and the picture is not empty (a plausible size, many colours, the translate
# filters' names drawn are not checked). With ELSTM_SHOT=FILE the picture is kept as a PNG
# (docs/gtkwave.png). Skipped (77) without gtkwave, Xvfb or xwd, unless CI=true.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

for tool in gtkwave Xvfb xwd; do
    if ! command -v $tool >/dev/null; then
        [ "${CI:-}" = true ] && fail "$tool is missing (scripts/setup installs it)"
        echo "SKIP: $tool is not installed"; exit 77
    fi
done

must_pass quick --config "$configs/quick.yaml" --vcd quick.vcd --quiet
[ -s quick.gtkw ] || fail "no quick.gtkw beside quick.vcd"
echo 'gtkwave::/Time/Zoom/Zoom_Full' >zoom.tcl

# A display of our own: the first free number from 90 on.
display=90
while [ -e /tmp/.X$display-lock ] || [ -e /tmp/.X11-unix/X$display ]; do display=$((display + 1)); done
Xvfb :$display -screen 0 1024x700x24 -nolisten tcp >xvfb.log 2>&1 &
xvfb=$!
gtk=
cleanup() { [ -z "$gtk" ] || kill "$gtk" 2>/dev/null || true; kill "$xvfb" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
for _ in $(seq 50); do [ -e /tmp/.X11-unix/X$display ] && break; sleep 0.1; done
[ -e /tmp/.X11-unix/X$display ] || fail "Xvfb :$display did not start: $(cat xvfb.log)"
DISPLAY=:$display gtkwave --script zoom.tcl quick.gtkw >gtkwave.log 2>&1 &
gtk=$!
# gtkwave prints the trace's end time once it has loaded it, then runs the script.
for _ in $(seq 100); do grep -q 'Executing Tcl script' gtkwave.log && break; sleep 0.1; done
grep -q 'end time' gtkwave.log || fail "gtkwave did not load quick.vcd through quick.gtkw: $(cat gtkwave.log)"
sleep 2   # drawing
DISPLAY=:$display xwd -root -silent >screen.xwd || fail "xwd could not dump the screen"
read -r width height colours < <(/usr/bin/python3 "$src/tests/vp/xwd2png.py" screen.xwd screen.png) ||
    fail "could not read the screen dump"
[ "$width" -eq 1024 ] && [ "$height" -eq 700 ] || fail "the screen dump is ${width}x$height, want 1024x700"
# An empty screen is one colour; GTKWave's window with waves and names has hundreds.
[ "$colours" -ge 100 ] || fail "the screen shows $colours colours: gtkwave drew nothing"
[ -s screen.png ] || fail "no PNG written"
[ -z "${ELSTM_SHOT:-}" ] || cp screen.png "$ELSTM_SHOT"
echo "gtkwave_shot: all checks passed ($colours colours)"
