#!/usr/bin/env bash
# elstm-vp end to end: how a run ends short. The simulated-time budget (max_cycles) ends it with
# exit 1 and one line naming the cycle and where the accelerator and the core were; Ctrl-C
# (SIGINT), SIGTERM, SIGHUP and SIGQUIT stop it cleanly and promptly, exit 128 + the signal,
# keeping what was simulated only under .interrupted names; a full disk fails the run (exit 2) naming the path. No run that
# ends short leaves a file looking complete.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

quick="$configs/quick.yaml"

# expect_line NAME RC REGEX: the last run_vp exited RC and its last stderr line matches REGEX
# (extended); every line before it is progress.
expect_line() {
    local name="$1" want_rc="$2" regex="$3" last others
    strip_asan_note "$name.err"
    last=$(tail -n 1 "$name.err")
    others=$(head -n -1 "$name.err" | tr '\r' '\n' | grep -Ev '^(elstm-vp: run [0-9]+ step [0-9]+/[0-9]+ \([0-9]+%\))?$' || true)
    if [ "$rc" -ne "$want_rc" ]; then
        problem "$name: exit $rc, want $want_rc: $last"
    elif ! [[ "$last" =~ $regex ]]; then
        problem "$name: '$last' does not match '$regex'"
    elif [ -n "$others" ]; then
        problem "$name: more than the message and progress on stderr: $others"
    else
        echo "ok $name"
    fi
}

# without_leak_check COMMAND...: a run stopped mid-simulation (a budget, a signal) leaves
# SystemC's threads suspended for good, so the heap memory their frames hold is never freed
# before the process exits, which LeakSanitizer (ASan builds) would report as leaks.
asan_no_leaks="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
without_leak_check() { ASAN_OPTIONS="$asan_no_leaks" "$@"; }

# no_files NAME FILE...: none of the files exists.
no_files() {
    local name="$1" f; shift
    for f in "$@"; do [ ! -e "$f" ] || problem "$name: $f was left behind"; done
}

# --- max_cycles ---------------------------------------------------------------------------------
# The driver host finishes quick.yaml at cycle F: a budget of F cycles is enough (and changes
# nothing), F - 1 is not.
must_pass free --config "$quick" --vcd "" -q --set host.kind=driver --stats free.json
end=$(json free.json "s['end_cycle']")
must_pass fits --config "$quick" --vcd "" -q --set host.kind=driver --set max_cycles=$end --stats fits.json
# The stats but for effective_config, which names max_cycles.
same_stats() { python3 -c 'import json, sys; a, b = (json.load(open(p)) for p in sys.argv[1:]); [s.pop("effective_config") for s in (a, b)]; sys.exit(a != b)' "$1" "$2"; }
same_stats free.json fits.json || problem "fits: max_cycles=$end changed the stats"
without_leak_check run_vp short --config "$quick" --vcd "" -q --set host.kind=driver --set max_cycles=$((end - 1)) --stats short.json
expect_line short 1 "^elstm-vp: simulated-time budget max_cycles = $((end - 1)) ran out before the host finished, at cycle $((end - 1)) \(layer run 3, step [0-9]/8\)$"
no_files short short.json

# The core as host: its pc too. The trace so far stays as .partial.vcd, like any failed run's.
without_leak_check run_vp core --config "$quick" -q --vcd budget.vcd --stats budget.json --set max_cycles=3000
expect_line core 1 '^elstm-vp: simulated-time budget max_cycles = 3000 ran out before the host finished, at cycle 3000 \((layer run [0-9]+, step [0-9]+/8|accelerator idle after [0-9]+ layer runs?), core pc 0x8[0-9a-f]{7}\)$'
no_files core budget.vcd budget.json
[ -s budget.partial.vcd ] || problem "core: no budget.partial.vcd"

# A budget never keeps the simulation alive: a huge one gives the VCD and stats of none.
must_pass huge --config "$quick" -q --vcd huge.vcd --stats huge.json --set max_cycles=1000000000000000
must_pass none --config "$quick" -q --vcd none.vcd --stats none.json
cmp -s huge.vcd none.vcd && same_stats huge.json none.json || problem "huge: max_cycles=10^15 changed the VCD or stats"

# --- Ctrl-C and SIGTERM -------------------------------------------------------------------------
# interrupt NAME SIGNAL ARGS...: starts elstm-vp on ptb (or the config interrupt_config names)
# with 40 sequences (far more than the test waits for; ARGS may change that), sends SIGNAL a second after its first progress line (--progress: stderr is a file; the simulation is running;
# an ASan build gets there later, not wrongly) and waits; exit code in $rc. A script's
# background job starts with SIGINT and SIGQUIT ignored, and elstm-vp keeps an ignored signal
# ignored: env gives them the default a terminal would (and runs it without_leak_check).
interrupt() {
    local name="$1" signal="$2" pid i; shift 2
    env --default-signal=INT,QUIT ASAN_OPTIONS="$asan_no_leaks" "$vp" --config "${interrupt_config:-$configs/ptb.yaml}" --set workload.sequences=40 --progress "$@" >"$name.out" 2>"$name.err" &
    pid=$!
    for i in $(seq 1200); do
        grep -q 'elstm-vp: run' "$name.err" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
    done
    sleep 1
    kill -s "$signal" $pid 2>/dev/null || true
    rc=0
    wait $pid || rc=$?
}

interrupt int INT --vcd int.vcd --stats int.json
position='(layer run [0-9]+, step [0-9]+/35|accelerator idle after [0-9]+ layer runs?), core pc 0x8[0-9a-f]{7}'
expect_line int 130 "^elstm-vp: interrupted at cycle [0-9]+ \($position\)$"
if [[ "$(tail -n 1 int.err)" =~ at\ cycle\ ([0-9]+)\ \((.*)\)$ ]]; then
    cycle=${BASH_REMATCH[1]} at=${BASH_REMATCH[2]}
    # The position's first number: the layer run it was in, i.e. the runs finished.
    done_runs=-1; [[ "$at" =~ ([0-9]+) ]] && done_runs=${BASH_REMATCH[1]}
    # Nothing under the final names, nothing partial; the summary is not printed.
    no_files int int.vcd int.json int.partial.vcd int.vcd.tmp int.json.tmp
    ! grep -q 'golden check' int.out || problem "int: an interrupted run printed the summary"
    # The VCD so far: valid, marked in its header, ending at the cycle of the message (1 ns units).
    grep -q "^     interrupted at cycle $cycle: the trace ends there$" int.interrupted.vcd \
        || problem "int: int.interrupted.vcd has no \$comment naming cycle $cycle"
    python3 - int.interrupted.vcd "$cycle" <<'PY' || problem "int: int.interrupted.vcd is not the trace up to the stop"
import sys, vcd
signals, end = vcd.parse(sys.argv[1])
assert 0 < end <= int(sys.argv[2]) and signals["core.state"][0][0] == 0, (end, signals["core.state"][:2])
PY
    # The stats so far: marked, the layer runs that finished, no golden check.
    [ "$(json int.interrupted.json "s['interrupted'], s['interrupted_at'], s['end_cycle'], len(s['runs']), s['golden']")" \
        = "(True, '$at', $cycle, $done_runs, None)" ] \
        || problem "int: int.interrupted.json is not what the message says ($at at cycle $cycle): $(json int.interrupted.json \
           "s.get('interrupted'), s.get('interrupted_at'), s['end_cycle'], len(s['runs']), s.get('golden')")"
    [ "$(json int.interrupted.json "all(r['cycles'] > 0 for r in s['runs']) and s['cycles'] == sum(r['cycles'] for r in s['runs'])")" = True ] \
        || problem "int: int.interrupted.json has an unfinished layer run"
fi

# SIGTERM the same way (exit 143); with the driver as host the message has no pc.
interrupt term TERM --vcd "" --set host.kind=driver
expect_line term 143 '^elstm-vp: interrupted at cycle [0-9]+ \((layer run [0-9]+, step [0-9]+/35|accelerator idle after [0-9]+ layer runs?)\)$'

# SIGHUP (the terminal went away) and SIGQUIT (Ctrl-\) like SIGTERM: exit 128 + the signal,
# the VCD and stats so far under their .interrupted names only. A generated layer is built
# faster than ptb's (this matters under ASan); 2000 sequences of it take far longer than the wait.
write_config one_layer.yaml "[{input: 256, hidden: 256, w_sparsity: 0.5, u_sparsity: 0.5}]" 35 2000
for sig in HUP QUIT; do
    name=$(echo "$sig" | tr A-Z a-z)
    interrupt_config=one_layer.yaml interrupt "$name" "$sig" --vcd "$name.vcd" --stats "$name.json" \
        --set host.kind=driver --set workload.sequences=2000 --set dram.size=256MiB
    expect_line "$name" $((128 + $(kill -l "$sig"))) '^elstm-vp: interrupted at cycle [0-9]+ \((layer run [0-9]+, step [0-9]+/35|accelerator idle after [0-9]+ layer runs?)\)$'
    no_files "$name" "$name.vcd" "$name.json" "$name.partial.vcd"
    [ "$(json "$name.interrupted.json" "s['interrupted']" 2>/dev/null)" = True ] && grep -q '^     interrupted at cycle' "$name.interrupted.vcd" \
        || problem "$name: no $name.interrupted.json and .vcd marked as interrupted"
done

# The stop is seen promptly whatever the quantum: the core, running the CPU-only firmware (no
# accelerator to wait for) a whole quantum of 10^9 cycles (seconds of wall time) ahead of the
# kernel, yields between its ISS slices once a stop is asked for. Signalled 2 s after the start
# (the small workload is built by then; its 40 sequences take about 45 s at 150 MIPS, so it is
# still running on a far faster core), elstm-vp must be gone within a second.
write_config cpu.yaml "[{input: 64, hidden: 64}]" 20 40
env --default-signal=INT ASAN_OPTIONS="$asan_no_leaks" "$vp" --config cpu.yaml --set host.firmware=lstm_cpu \
    --set host.golden_tolerance=1e-4 --set host.quantum=1000000000 -q --stats quantum.json >quantum.out 2>quantum.err &
pid=$!
sleep 2
t0=$(date +%s%N)
kill -s INT $pid
rc=0
wait $pid || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_line quantum 130 '^elstm-vp: interrupted at cycle [0-9]+ \(accelerator idle after 0 layer runs, core pc 0x8[0-9a-f]{7}\)$'
[ "$ms" -lt 1000 ] || problem "quantum: elstm-vp took $ms ms to stop after SIGINT (want < 1000)"
[ "$(json quantum.interrupted.json "s['interrupted']" 2>/dev/null)" = True ] || problem "quantum: no quantum.interrupted.json"

# --- a full disk --------------------------------------------------------------------------------
# /dev/full fails every write with ENOSPC. A device is written in place (a rename over it would
# replace it); the test names it through a link, so a regression replaces only the link.
if [ -c /dev/full ]; then
    ln -s /dev/full full.json
    run_vp dev_full --config "$quick" --vcd "" -q --stats full.json
    expect_line dev_full 2 '^elstm-vp: --stats: cannot write full.json: No space left on device$'
    [ -c full.json ] || problem "dev_full: the stats replaced the link to /dev/full"
    no_files dev_full full.json.tmp
fi

# A small tmpfs as a full disk (root only: skipped where it cannot be mounted).
mkdir tiny
if mount -t tmpfs -o size=64k tmpfs tiny 2>/dev/null; then
    trap 'umount "$tmp/tiny" 2>/dev/null || true; rm -rf "$tmp"' EXIT
    # The trace outgrows the disk while SystemC writes it (its write errors go unseen; copying
    # it to the final name shows them).
    run_vp vcd_full --config "$quick" -q --set workload.sequences=20 --vcd tiny/x.vcd --stats vcd_full.json
    expect_line vcd_full 2 '^elstm-vp: trace.vcd: cannot write tiny/x.vcd: No space left on device$'
    [ -z "$(ls -A tiny)" ] || problem "vcd_full: files left on the full disk: $(ls -A tiny)"
    no_files vcd_full vcd_full.json
    # The partial trace fits but its copy does not.
    page=$(getconf PAGESIZE)
    mount -o remount,size=$(( ($(stat -c %s none.vcd) + page - 1) / page * page + page )) tiny
    run_vp copy_full --config "$quick" -q --vcd tiny/x.vcd
    expect_line copy_full 2 '^elstm-vp: trace.vcd: cannot write tiny/x.vcd: No space left on device$'
    [ -z "$(ls -A tiny)" ] || problem "copy_full: files left on the full disk: $(ls -A tiny)"
    # Stats on a disk already full.
    dd if=/dev/zero of=tiny/fill bs="$page" status=none 2>/dev/null || true
    run_vp stats_full --config "$quick" --vcd "" -q --stats tiny/s.json
    expect_line stats_full 2 '^elstm-vp: --stats: cannot write tiny/s.json: No space left on device$'
    [ "$(ls -A tiny)" = fill ] || problem "stats_full: files left on the full disk: $(ls -A tiny)"
else
    echo "skip: cannot mount a tmpfs here (root only): no disk-full VCD and stats cases"
fi


# Out of memory where the estimate let the run through (limits.memory above what the process
# may have): one line on stderr, exit 1, nothing on stdout. An address-space limit cannot be
# set under AddressSanitizer, which reserves terabytes of shadow memory.
if ! grep -q __asan_init "$vp"; then
    rc=0
    (ulimit -v 400000; "$vp" --config "$quick" --vcd "" -q --set 'workload.layers=[{input: 3000, hidden: 3000}]' \
        --set limits.memory=64GiB --set dram.size=1GiB >oom.out 2>oom.err) || rc=$?
    expect_line oom 1 '^elstm-vp: out of memory: the machine refused an allocation \(limits\.memory bounds the estimate\)$'
    [ ! -s oom.out ] || problem "oom: printed on stdout: $(head -c 300 oom.out)"
else
    echo "skip: no address-space limit under AddressSanitizer: no out-of-memory case"
fi
finish
