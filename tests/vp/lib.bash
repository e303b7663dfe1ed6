# Shared helpers of the elstm-vp end-to-end tests (sourced, not a test itself: only *.sh are).
#   source "$(dirname "$0")/lib.bash" "$@"     with $1 = the elstm-vp binary, $2 = the source dir
# Leaves you in a fresh temporary directory that is removed on exit.

[ $# -ge 2 ] || { echo "usage: $0 ELSTM_VP SOURCE_DIR" >&2; exit 2; }
vp=$(realpath "$1")
src=$(realpath "$2")
configs="$src/configs"
[ -x "$vp" ] || { echo "FAIL: $vp is not an executable" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/elstm-vp-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export SC_COPYRIGHT_MESSAGE=DISABLE

test_name=$(basename "$0" .sh)
fail() { echo "FAIL ($test_name): $*" >&2; exit 1; }

# problem MESSAGE: record a failure and go on, so one run reports every independent problem;
# finish: fail if any was recorded, else print the success line.
problems=0
problem() { echo "FAIL ($test_name): $*" >&2; problems=$((problems + 1)); }
finish() {
    [ "$problems" -eq 0 ] || { echo "FAIL ($test_name): $problems problem(s), see above" >&2; exit 1; }
    echo "$test_name: all checks passed"
}

# run_vp OUT ARGS...: run elstm-vp; stdout in OUT.out, stderr in OUT.err, exit code in $rc.
run_vp() {
    local out="$1"; shift
    rc=0
    "$vp" "$@" >"$out.out" 2>"$out.err" || rc=$?
}

# strip_asan_note FILE: drops from FILE the 3-line warning AddressSanitizer prints when an
# exception is thrown once SystemC has switched coroutine stacks (google/sanitizers#189); it is
# not the program's output.
strip_asan_note() {
    grep -v -e '^==[0-9]*==WARNING: ASan is ignoring requested __asan_handle_no_return' \
        -e '^False positive error reports may follow$' \
        -e '^For details see https://github.com/google/sanitizers/issues/189$' "$1" >"$1.stripped" || true
    mv "$1.stripped" "$1"
}

# expect_error NAME RC REGEX ARGS...: elstm-vp ARGS exits RC with one stderr line matching
# ^elstm-vp: REGEX (extended regex) and nothing on stdout (unless after_run=1: the error comes
# once the simulation has run, and the firmware may have printed).
expect_error() {
    local name="$1" want_rc="$2" regex="$3"; shift 3
    run_vp "$name" "$@"
    strip_asan_note "$name.err"
    local err lines
    err=$(cat "$name.err")
    lines=$(grep -c '' "$name.err" || true)
    if [ "$rc" -ne "$want_rc" ]; then
        problem "$name: exit $rc, want $want_rc: elstm-vp $*
  stderr: $err"
    elif [ "$lines" -ne 1 ]; then
        problem "$name: $lines lines on stderr, want exactly 1: elstm-vp $*
$err"
    elif ! grep -Eq "^elstm-vp: $regex" "$name.err"; then
        problem "$name: message does not match '^elstm-vp: $regex': elstm-vp $*
  stderr: $err"
    elif [ -s "$name.out" ] && [ "${after_run:-0}" != 1 ]; then
        problem "$name: a failed run printed on stdout: elstm-vp $*
$(head -n 3 "$name.out")"
    else
        echo "ok $name"
    fi
}

# must_pass OUT ARGS...: run_vp and fail the test unless it exits 0.
must_pass() {
    local out="$1"
    run_vp "$@"
    [ "$rc" -eq 0 ] || fail "exit $rc (want 0): elstm-vp ${*:2}
$(head -n 6 "$out.err")"
}

# write_config FILE LAYERS STEPS SEQUENCES [ACCEL] [N_FUSE] [LATENCY]: a small generated workload.
#   LAYERS: a YAML flow list, e.g. "[{input: 13, hidden: 18}]"; ACCEL: the accel map's body
#   (default "n_pe: 3"); N_FUSE: a number or a flow list (default 2); LATENCY: DRAM latency (30).
write_config() {
    local file="$1" layers="$2" steps="$3" sequences="$4"
    local accel="${5:-n_pe: 3}" n_fuse="${6:-2}" latency="${7:-30}"
    cat >"$file" <<EOF
clock_mhz: 1000
timing: fast
dram: {size: 16MiB, latency: $latency}
accel:
  $accel
schedule:
  kind: cell_fusion
  n_fuse: $n_fuse
  pruning: true
workload:
  layers: $layers
  steps: $steps
  sequences: $sequences
  seed: 7
trace: {vcd: ""}
stats: ""
EOF
}

# json FILE EXPR: evaluate a Python expression over the stats JSON `s` (standard library only).
json() {
    python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# vcd.py: a small VCD reader for the tests.  python3 vcd.py FILE prints each signal's changes as
# JSON {name: [[time, value], ...]}; `import vcd; vcd.parse(FILE)` gives the same dict together
# with the final timestamp: (signals, end_time).
cat >vcd.py <<'EOF'
import json, sys

def parse(path):
    scopes, ids, changes, t, end = [], {}, {}, 0, 0
    with open(path) as f:
        tokens = iter(f.read().split())
    for tok in tokens:
        if tok == "$scope":
            next(tokens); scopes.append(next(tokens))
        elif tok == "$upscope":
            scopes.pop()
        elif tok == "$var":
            _kind, _width, ident, ref = next(tokens), next(tokens), next(tokens), next(tokens)
            ids.setdefault(ident, []).append(".".join(scopes[1:] + [ref]) if len(scopes) > 1 else ref)
            for tok in tokens:
                if tok == "$end": break
        elif tok.startswith("$"):
            if tok in ("$dumpvars", "$dumpall", "$dumpon", "$dumpoff", "$end"): continue
            for tok in tokens:   # $date, $version, $timescale, $comment ... $end
                if tok == "$end": break
        elif tok.startswith("#"):
            t = end = int(tok[1:])
        elif tok[0] in "bBrR":
            value, ident = tok[1:], next(tokens)
            for name in ids.get(ident, []):
                v = int(value, 2) if tok[0] in "bB" and set(value) <= set("01") else value
                changes.setdefault(name, []).append([t, v])
        elif tok[0] in "01xXzZ":
            for name in ids.get(tok[1:], []):
                changes.setdefault(name, []).append([t, int(tok[0]) if tok[0] in "01" else tok[0]])
    for names in ids.values():
        for name in names: changes.setdefault(name, [])
    return changes, end

if __name__ == "__main__":
    print(json.dumps(parse(sys.argv[1])[0]))
EOF
