#!/usr/bin/env bash
# elstm-vp end to end with GDB: --gdb PORT waits for gdb-multiarch before the first instruction;
# a batch session breaks in the firmware, steps, prints, stops at the first RoCC command and
# continues to the end (exit 0, golden check passed). Detach lets the run go on to its end, kill
# ends it with one line and exit 1, Ctrl-C halts the running core, a client that disconnects
# mid-packet does not hang the run.
# Exit 77 (skipped) without gdb-multiarch; with CI=true, where it must be installed, a failure.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

quick="$configs/quick.yaml"
elf="$(dirname "$vp")/firmware/elstm.elf"
[ -f "$elf" ] || fail "no firmware ELF at $elf"
if ! command -v gdb-multiarch >/dev/null; then
    [ "${CI:-}" != true ] || fail "CI must run GDB, but gdb-multiarch is not installed"
    echo "SKIP ($test_name): gdb-multiarch is not installed (scripts/setup installs it)"
    exit 77
fi

# A port free just now on loopback.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_vp NAME [ARGS...]: elstm-vp --gdb in the background (pid in $vp_pid, port in $port), back
# once it listens.
start_vp() {
    local name="$1"; shift
    port=$(free_port)
    timeout 120 "$vp" --config "$quick" --vcd "" -q --gdb "$port" "$@" >"$name.out" 2>"$name.err" &
    vp_pid=$!
    for _ in $(seq 300); do
        grep -q "waiting for GDB on 127.0.0.1:$port" "$name.err" 2>/dev/null && return 0
        kill -0 "$vp_pid" 2>/dev/null || break
        sleep 0.1
    done
    fail "$name: elstm-vp did not listen on $port: $(cat "$name.err")"
}

# finish_vp NAME: waits for the background run; its exit code in $rc.
finish_vp() {
    rc=0
    wait "$vp_pid" || rc=$?
}

# run_gdb NAME COMMANDS...: gdb-multiarch in batch mode on the firmware ($gdb_elf, default the
# elstm firmware), connected to $port.
run_gdb() {
    local name="$1"; shift
    local args=(-batch -nx -ex "set pagination off" -ex "set confirm off" -ex "target remote :$port")
    for c in "$@"; do args+=(-ex "$c"); done
    timeout 60 gdb-multiarch "${args[@]}" "${gdb_elf:-$elf}" >"$name.gdb" 2>&1 || true
}

# expect_gdb NAME REGEX: GDB's output has a line matching REGEX (extended).
expect_gdb() {
    grep -Eq "$2" "$1.gdb" || problem "$1: GDB's output has no line matching '$2':
$(cat "$1.gdb")"
}

# The first custom-0 instruction (RoCC command 0, m and n of layer 1) and its rs1/rs2 by ABI name.
abi=(zero ra sp gp tp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5 a6 a7 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6)
rocc_addr=""
while read -r addr _ op word; do
    if [ "$op" = .4byte ] && [ $((word & 0xfe00707f)) -eq $((0x300b)) ]; then
        rocc_addr=${addr%:} rocc_word=$word
        break
    fi
done < <(riscv64-unknown-elf-objdump -d "$elf")
[ -n "${rocc_addr:-}" ] || fail "no RoCC command 0 (custom-0, funct7 0) in $elf"
rs1=${abi[$(((rocc_word >> 15) & 31))]}
rs2=${abi[$(((rocc_word >> 20) & 31))]}

# A whole session: registers and CSRs, a breakpoint in the firmware, a step, variables, the RoCC
# command's operands (the layer's m and n), continue to the end.
start_vp session
run_gdb session "p/x \$pc" "p/x \$mstatus" "p/x \$misa" "break elstm_run_layer" "continue" "set \$before = \$pc" "stepi" \
    "p \$pc - \$before" "p d->sequences" "p d->layers" "break *0x$rocc_addr" "continue" \
    "p/x *(unsigned int *)\$pc" "p \$$rs1 == l->m && \$$rs2 == l->n" "p \$$rs1" "delete" "continue"
finish_vp session
expect_gdb session '^\$1 = 0x80000000$'
expect_gdb session '^\$2 = 0x1800$'
expect_gdb session '^\$3 = 0x8000000000001105$'
expect_gdb session '^Breakpoint 1, elstm_run_layer '
expect_gdb session '^\$4 = [24]$'
expect_gdb session '^\$5 = 2$'
expect_gdb session '^\$6 = 2$'
expect_gdb session "^Breakpoint 2, .* in elstm_run_layer "
expect_gdb session "^\\\$7 = $rocc_word\$"
expect_gdb session '^\$8 = 1$'
expect_gdb session '^\$9 = [1-9][0-9]*$'
expect_gdb session 'exited normally'
[ "$rc" -eq 0 ] || problem "session: elstm-vp exited $rc after the GDB session: $(cat session.err)"
grep -q 'golden check: passed' session.out || problem "session: no passed golden check: $(cat session.out)"
[ "$problems" -ne 0 ] || echo "ok session"

# Watchpoints (Z2, Z3, Z4) on a bare program's variables (workload: none): the stop comes after
# the access and shows the old and new value; the operands of the RoCC command the program issues
# are watched as it writes them and as it reads them to send the command. The program halts at
# each access whatever the machine's speed: the core checks every access while a watchpoint is set.
bare="$(dirname "$vp")/tests/core_wrap/bare_exit0.elf"
start_vp watch --set workload=none --set host.firmware="$bare"
gdb_elf="$bare" run_gdb watch "watch counter" "continue" "continue" "delete" "awatch counter" "continue" "delete" \
    "watch command[1]" "continue" "delete" "rwatch command[1]" "continue" "delete" "continue"
finish_vp watch
expect_gdb watch '^Hardware watchpoint 1: counter$'
grep -A3 '^Hardware watchpoint 1: counter$' watch.gdb | tr '\n' ' ' | grep -q 'Old value = 0 New value = 10 .*Old value = 10 New value = 30 ' \
    || problem "watch: counter does not go 0 -> 10 -> 30: $(cat watch.gdb)"
grep -A3 '^Hardware watchpoint 3: command\[1\]$' watch.gdb | tr '\n' ' ' | grep -q 'Old value = 0 New value = 8 ' \
    || problem "watch: the RoCC operand command[1] is not seen written 0 -> 8: $(cat watch.gdb)"
grep -A3 '^Hardware access (read/write) watchpoint 2: counter$' watch.gdb | tr '\n' ' ' | grep -q 'Old value = 30 New value = 60 ' \
    || problem "awatch: the last write of counter (30 -> 60) is not seen: $(cat watch.gdb)"
grep -A3 '^Hardware read watchpoint 4: command\[1\]$' watch.gdb | grep -q '^Value = 8$' \
    || problem "rwatch: the RoCC operand command[1] is not seen read as 8: $(cat watch.gdb)"
expect_gdb watch 'exited normally'
if [ "$rc" -ne 0 ] || ! grep -q 'workload: none' watch.out; then
    problem "watch: exit $rc, want 0 with the bare run's summary: $(cat watch.err)"
else
    echo "ok watch"
fi

# Detach at a breakpoint: the run goes on to its end.
start_vp detach
run_gdb detach "break elstm_run_layer" "continue" "detach"
finish_vp detach
expect_gdb detach 'Remote target\) detached'
if [ "$rc" -ne 0 ] || ! grep -q 'golden check: passed' detach.out; then
    problem "detach: exit $rc, want 0 with a passed golden check: $(cat detach.err)"
else
    echo "ok detach"
fi

# Kill at a breakpoint: one line, exit 1.
start_vp kill
run_gdb kill "break elstm_run_layer" "continue" "p/x \$pc" "kill"
finish_vp kill
if [ "$rc" -ne 1 ] || [ "$(tail -n 1 kill.err)" != "elstm-vp: killed by the debugger at pc $(sed -n 's/^\$1 = //p' kill.gdb)" ]; then
    problem "kill: exit $rc, want 1 with 'elstm-vp: killed by the debugger at pc ...': $(cat kill.err)"
else
    echo "ok kill"
fi

# A client that disconnects in the middle of a packet: the run goes on to its end.
start_vp cut
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf '+$m80000000,' >&3
exec 3>&-
finish_vp cut
if [ "$rc" -ne 0 ] || ! grep -q 'golden check: passed' cut.out; then
    problem "cut: exit $rc, want 0 with a passed golden check: $(cat cut.err)"
else
    echo "ok cut"
fi

# Ctrl-C (0x03) while the core runs: it halts with SIGINT (S02); then detach, the run goes on.
# lstm_cpu computes on the core: millions of instructions, far more than one poll interval.
before=$problems
start_vp interrupt --set host.firmware=lstm_cpu --set host.golden_tolerance=1e-5
python3 - "$port" >interrupt.gdb 2>&1 <<'PY' || true
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
def reply():
    data = b""
    while not (b"#" in data and len(data) >= data.index(b"#") + 3):
        chunk = s.recv(256)
        if not chunk:
            break
        data += chunk
    s.sendall(b"+")
    return data.decode()
# Continue and Ctrl-C in one write: the stub reads the 0x03 at its first poll after resuming
# (every 1024 instructions), so the halt does not depend on how fast this machine is.
s.sendall(b"$c#63\x03")
print("stop", reply().lstrip("+"))
s.sendall(b"$D#44")
print("detach", reply().lstrip("+"))
s.close()
PY
finish_vp interrupt
expect_gdb interrupt '^stop \$S02#b5$'
expect_gdb interrupt '^detach \$OK#9a$'
if [ "$problems" -ne "$before" ] || [ "$rc" -ne 0 ] || ! grep -q 'golden check: passed' interrupt.out; then
    problem "interrupt: exit $rc, want 0 with a passed golden check: $(cat interrupt.err)"
else
    echo "ok interrupt"
fi

# Bad ports: bad input, exit 2, before the run.
after_run=0
expect_error port_range 2 "--set host.gdb=70000: 70000 is out of range; expected an integer in \\[0, 65535\\]" --config "$quick" --vcd "" --gdb 70000
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1); print(s.getsockname()[1], flush=True); time.sleep(30)' >busy.port &
busy_pid=$!
for _ in $(seq 100); do [ -s busy.port ] && break; sleep 0.1; done
expect_error port_busy 2 "host.gdb: cannot listen on 127.0.0.1:$(cat busy.port): Address already in use" \
    --config "$quick" --vcd "" --gdb "$(cat busy.port)"
kill "$busy_pid"

finish
