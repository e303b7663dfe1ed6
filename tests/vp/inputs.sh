#!/usr/bin/env bash
# elstm-vp end to end: workload.inputs (the first layer's x from a .npy file) and outputs.h /
# --h-out (every layer's h as .npy). The round trip: x.npy made here, h.layerN.npy compared with
# an fp32 LSTM computed here in numpy on the same weights (npy layers) within 2e-5 (fp32 sums in
# another order; |h| < 1). Then the inputs with generated layers and the golden check against
# the x a firmware wrote itself, and every bad input file with its one-line message.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"
py=/usr/bin/python3
"$py" -c 'import numpy' 2>/dev/null || fail "$py has no numpy (Debian's python3-numpy)"
own_x="$(dirname "$vp")/tests/core_wrap/own_x.elf"
[ -f "$own_x" ] || fail "no $own_x (built with the tests)"

# Weights: fp16 values (the platform rounds to fp16), layer 1 13 -> 18, layer 2 18 -> 10;
# x: 2 sequences of 6 steps. Bad files beside them.
"$py" - <<'EOF'
import numpy as np
rng = np.random.default_rng(5)
def layer(k, m, n):
    for name, shape in (("w", (4 * n, m)), ("u", (4 * n, n)), ("b", (4 * n,))):
        a = rng.uniform(-0.5, 0.5, shape).astype(np.float16).astype(np.float32)
        np.save(f"{name}{k}.npy", a)
layer(1, 13, 18)
layer(2, 18, 10)
x = rng.uniform(-1, 1, (2, 6, 13)).astype(np.float32)
np.save("x.npy", x)
np.save("x16.npy", x.astype(np.float16))
np.save("x_gen.npy", rng.uniform(-1, 1, (3, 5, 16)).astype(np.float32))
np.save("x_2d.npy", x[0])
np.save("x_m12.npy", x[:, :, :12])
np.save("x_f8.npy", x.astype(np.float64))
np.save("x_empty.npy", np.zeros((0, 6, 13), np.float32))
np.save("x_fortran.npy", np.asfortranarray(x))
bad = x.copy(); bad[1, 2, 4] = np.nan
np.save("x_nan.npy", bad)
with open("x.npy", "rb") as f: data = f.read()
with open("x_short.npy", "wb") as f: f.write(data[:-8])
EOF
mkfifo x_fifo.npy

npy_config() {   # npy_config FILE [EXTRA WORKLOAD LINE]
    cat >"$1" <<EOF
schedule: {skip: none}
workload:
  layers:
    - npy: {w: w1.npy, u: u1.npy, bias: b1.npy}
    - npy: {w: w2.npy, u: u2.npy, bias: b2.npy}
  inputs: x.npy
  ${2:-}
trace: {vcd: ""}
EOF
}
npy_config npy.yaml

# numpy's fp32 LSTM (gate rows f, i, g, o) on X against elstm-vp's h files PREFIX.layerN.npy.
cat >check_h.py <<'EOF'
import sys
import numpy as np
x_path, prefix, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
sig = lambda v: 1 / (1 + np.exp(-v))
xs = np.load(x_path).astype(np.float64)
for k in (1, 2):
    w, u, b = (np.load(f"{n}{k}.npy").astype(np.float64) for n in ("w", "u", "b"))
    n = u.shape[1]
    out = np.zeros((xs.shape[0], xs.shape[1], n))
    for s in range(xs.shape[0]):
        h, c = np.zeros(n), np.zeros(n)
        for t in range(xs.shape[1]):
            p = w @ xs[s, t] + u @ h + b
            c = sig(p[:n]) * c + sig(p[n:2 * n]) * np.tanh(p[2 * n:3 * n])
            h = sig(p[3 * n:]) * np.tanh(c)
            out[s, t] = h
    got = np.load(f"{prefix}.layer{k}.npy")
    if got.dtype != np.float32 or got.shape != out.shape:
        sys.exit(f"layer {k}: {got.dtype} {got.shape}, want float32 {out.shape}")
    err = np.abs(got - out).max()
    if not err <= tol:
        sys.exit(f"layer {k}: max |h - numpy| = {err:.3g} > {tol}")
    xs = got.astype(np.float64)
EOF

# Round trip through --set (paths of --set are relative to the YAML's folder) and through --h-out.
mkdir -p sub
must_pass roundtrip --config npy.yaml --set workload.inputs=x.npy --set outputs.h=sub/h.npy --stats rt.json --quiet
if msg=$("$py" check_h.py x.npy sub/h 2e-5 2>&1); then echo "ok roundtrip"; else problem "roundtrip: $msg"; fi
[ "$(json rt.json 's["runs"][0]["steps"], len(s["runs"]), s["golden"]["passed"]')" = "(6, 4, True)" ] \
    || problem "roundtrip: stats say $(json rt.json 's["runs"][0]["steps"], len(s["runs"]), s["golden"]["passed"]'), want 6 steps, 4 runs, passed"
must_pass cli_out --config npy.yaml --h-out out --quiet
if msg=$("$py" check_h.py x.npy out 2e-5 2>&1); then echo "ok cli_out"; else problem "cli_out: $msg"; fi
cmp -s out.layer1.npy sub/h.layer1.npy || problem "cli_out: --h-out out.layer1.npy differs from outputs.h's"
ls ./*.tmp sub/*.tmp >/dev/null 2>&1 && problem "temporary files left behind: $(ls ./*.tmp sub/*.tmp)"
# float16 inputs: the same values, rounded to fp16.
must_pass fp16 --config npy.yaml --set workload.inputs=x16.npy --set outputs.h=h16.npy --quiet
"$py" -c 'import numpy as np; np.save("x16_as32.npy", np.load("x16.npy").astype(np.float32))'
if msg=$("$py" check_h.py x16_as32.npy h16 2e-5 2>&1); then echo "ok fp16"; else problem "fp16: $msg"; fi

# Generated layers take the file's x too: 3 sequences of 5 steps from x_gen.npy.
write_config gen.yaml "[{input: 16, hidden: 12, w_sparsity: 0.3, h_threshold: 0.1}, {input: 12, hidden: 8}]" 4 1
sed -i '/^  steps:/d; /^  sequences:/d; s/^  seed: 7/  seed: 7\n  inputs: x_gen.npy/' gen.yaml
must_pass generated --config gen.yaml --stats gen.json --h-out gen_h.npy --quiet
[ "$(json gen.json 'len(s["runs"]), s["runs"][0]["steps"], s["golden"]["passed"]')" = "(6, 5, True)" ] \
    || problem "generated: stats say $(json gen.json 'len(s["runs"]), s["runs"][0]["steps"], s["golden"]["passed"]'), want 6 runs of 5 steps, passed"
[ "$("$py" -c 'import numpy as np; a = np.load("gen_h.layer2.npy"); print(a.dtype, a.shape)')" = "float32 (3, 5, 8)" ] \
    || problem "generated: gen_h.layer2.npy is not float32 (3, 5, 8)"

# A firmware that writes its own x before each sequence: the golden check (and the fp32 error,
# with nothing skipped exactly 0) compares against what was in DRAM when the layer started.
must_pass own_x --config npy.yaml --set "host.firmware=$own_x" --stats own.json --quiet
[ "$(json own.json 's["golden"]["passed"], s["golden"]["fp32_max_error"]')" = "(True, [0, 0])" ] \
    || problem "own_x: $(json own.json 's["golden"]["passed"], s["golden"]["fp32_max_error"]'), want passed with fp32 error 0"
after_run=0
must_pass own_x_gen --config gen.yaml --set "host.firmware=$own_x" --quiet
echo "ok own_x"

# Bad inputs: one line naming the file and what was expected.
line=$(grep -n '^  inputs:' npy.yaml | cut -d: -f1)
expect_error steps_conflict 2 "--set workload\.steps=5: 5 conflicts with workload\.inputs: x\.npy holds 6 steps \(shape \(2, 6, 13\)\); give the same or leave it out$" \
    --config npy.yaml --set workload.steps=5
npy_config seq.yaml "sequences: 3"
expect_error sequences_conflict 2 "seq\.yaml:$((line + 1)):14: workload\.sequences: 3 conflicts with workload\.inputs: x\.npy holds 2 sequences \(shape \(2, 6, 13\)\); give the same or leave it out$" \
    --config seq.yaml
must_pass same_steps --config npy.yaml --set workload.steps=6 --set workload.sequences=2 --quiet
expect_error shape_2d 2 "--set workload\.inputs=x_2d\.npy: x_2d\.npy: shape \(6, 13\) does not match the expected \(sequences, steps, input\) = \(1\.\.100000, 1\.\.100000, 13\) \(the first layer's input size 13\)$" \
    --config npy.yaml --set workload.inputs=x_2d.npy
sed -i "s/^  inputs: x.npy/  inputs: x_m12.npy/" npy.yaml
expect_error shape_input 2 "npy\.yaml:$line:11: workload\.inputs: x_m12\.npy: shape \(2, 6, 12\) does not match the expected .*, 13\) \(the first layer's input size 13\)$" \
    --config npy.yaml
sed -i "s/^  inputs: x_m12.npy/  inputs: x.npy/" npy.yaml
expect_error shape_generated 2 "--set workload\.inputs=x\.npy: x\.npy: shape \(2, 6, 13\) does not match the expected .*, 16\) \(the first layer's input size 16\)$" \
    --config gen.yaml --set workload.inputs=x.npy
expect_error shape_empty 2 "--set workload\.inputs=x_empty\.npy: x_empty\.npy: shape \(0, 6, 13\) does not match" \
    --config npy.yaml --set workload.inputs=x_empty.npy
expect_error dtype 2 "--set workload\.inputs=x_f8\.npy: x_f8\.npy: unsupported dtype '<f8' \(expected little-endian float32 '<f4' or float16 '<f2'\)$" \
    --config npy.yaml --set workload.inputs=x_f8.npy
expect_error fortran 2 "--set workload\.inputs=x_fortran\.npy: x_fortran\.npy: fortran_order True is not supported" \
    --config npy.yaml --set workload.inputs=x_fortran.npy
expect_error truncated 2 "--set workload\.inputs=x_short\.npy: x_short\.npy: truncated data: shape \(2, 6, 13\) of '<f4' needs 624 bytes, the file has 616$" \
    --config npy.yaml --set workload.inputs=x_short.npy
expect_error nan 2 "npy\.yaml: workload\.inputs: x_nan\.npy: element 108 \(sequence 1, step 2, x\[4\]\) = nan is not a finite number$" \
    --config npy.yaml --set workload.inputs=x_nan.npy
expect_error missing 2 "--set workload\.inputs=nothere\.npy: 'nothere\.npy' does not exist \(looked for nothere\.npy\)$" \
    --config npy.yaml --set workload.inputs=nothere.npy
expect_error fifo 2 "--set workload\.inputs=x_fifo\.npy: x_fifo\.npy: is a FIFO, not a regular file$" \
    --config npy.yaml --set workload.inputs=x_fifo.npy
expect_error stats_is_inputs 2 "--stats: cannot write x\.npy: it is the same file as workload\.inputs \(x\.npy\)$" \
    --config npy.yaml --stats x.npy
ln -s w1.npy x.layer1.npy
expect_error h_is_input 2 "--h-out: cannot write x\.layer1\.npy: it is the same file as workload\.layers\[0\]\.npy\.w \(w1\.npy\)$" \
    --config npy.yaml --h-out x.npy
expect_error h_stdout 2 "--h-out: '-' is not possible: the h outputs are \.npy files, one per layer; give a file name$" \
    --config npy.yaml --h-out -
expect_error h_stdout_key 2 "--set outputs\.h=\"-\": '-' is not possible: the h outputs are \.npy files, one per layer; give a file name$" \
    --config npy.yaml --set 'outputs.h="-"'
expect_error h_missing_dir 2 "--h-out: cannot write nodir/h\.layer1\.npy: no folder nodir$" \
    --config npy.yaml --h-out nodir/h.npy
finish
