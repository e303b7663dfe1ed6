#!/usr/bin/env bash
# Command-line checks of elstm-esell: help, a benchmark run, a .npy input it writes itself,
# the eSELL and CSR dumps, the port-stream table, and bad inputs (exit 2, one "elstm-esell: " line naming the culprit).
# Usage: bash elstm_esell.sh BINDIR
set -euo pipefail

bin="${1:?usage: elstm_esell.sh BINDIR}/elstm-esell"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_bad NEEDLE ARGS...: exit code 2 and a single stderr line "elstm-esell: ...NEEDLE...".
expect_bad() {
  local needle="$1" rc=0
  shift
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  [ "$rc" -eq 2 ] || fail "elstm-esell $* exited $rc, expected 2"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "elstm-esell $*: expected one stderr line, got: $(cat "$tmp/err")"
  grep -q '^elstm-esell: ' "$tmp/err" || fail "elstm-esell $*: message lacks the prefix: $(cat "$tmp/err")"
  grep -qF -- "$needle" "$tmp/err" || fail "elstm-esell $*: message does not name '$needle': $(cat "$tmp/err")"
}

# write_npy FILE: an 8 x 4 float32 array in .npy format 1.0. Element k (row-major) is
# 0, 1, -2, 0.5 for k mod 4 = 0..3, so 24 of the 32 values are non-zero.
write_npy() {
  local dict="{'descr': '<f4', 'fortran_order': False, 'shape': (8, 4), }"
  local unpadded=$((10 + ${#dict} + 1))           # magic, version, length, dict, newline
  local hlen=$(((unpadded + 63) / 64 * 64 - 10))  # header padded to a multiple of 64 bytes
  {
    printf '\x93NUMPY\x01\x00'
    printf "\\x$(printf %02x $((hlen & 255)))\\x$(printf %02x $((hlen >> 8)))"
    printf '%s%*s\n' "$dict" $((hlen - ${#dict} - 1)) ''
    for _ in 1 2 3 4 5 6 7 8; do
      printf '\x00\x00\x00\x00\x00\x00\x80\x3f\x00\x00\x00\xc0\x00\x00\x00\x3f'
    done
  } >"$1"
}

# --help
"$bin" --help >"$tmp/help" || fail "--help exited non-zero"
for opt in --benchmark --layer --matrix --seed --gain --pruning --npy --dump --format --fixed --esell-dump; do
  grep -qF -- "$opt" "$tmp/help" || fail "--help does not list $opt"
done

# A benchmark run: the table and the saving line (1 - 4^-0.7 = 62.1 %).
"$bin" --benchmark mnist --layer 2 --matrix U >"$tmp/bench" || fail "benchmark run exited non-zero"
grep -q '^matrix: mnist layer 2 U .*: 512 x 128' "$tmp/bench" || fail "benchmark run: wrong matrix line"
for format in eSELL CSR CSC COO ESE-CSC BBS-CBS; do
  grep -q "^$format " "$tmp/bench" || fail "benchmark run: no $format row"
done
grep -qF 'eSELL result-buffer area saving vs CSC: 62.1 % (paper: 63 %)' "$tmp/bench" ||
  fail "benchmark run: no saving line: $(cat "$tmp/bench")"
grep -q '^eSELL storage vs CSC: ' "$tmp/bench" || fail "benchmark run: no storage line"

# --npy with --esell-dump: 1 block, every row holds 3 non-zeros, so each chunk is 3 words
# wide: head word + 6 value words, and one table word counting 7.
write_npy "$tmp/w.npy"
"$bin" --npy "$tmp/w.npy" --esell-dump "$tmp/w.hex" >"$tmp/npy" || fail "--npy run exited non-zero: $(cat "$tmp/npy")"
grep -q ': 8 x 4, 24 non-zeros (25.0 % zeros)' "$tmp/npy" || fail "--npy: wrong matrix line: $(cat "$tmp/npy")"
grep -qF 'saving vs CSC: 62.1 %' "$tmp/npy" || fail "--npy: no saving line"
words="$(grep -v '^//' "$tmp/w.hex")"
[ "$(grep -c . <<<"$words")" -eq 8 ] || fail "--esell-dump: expected 7 stream + 1 table words, got: $words"
if grep -qvE '^[0-9a-f]{16}$' <<<"$words"; then fail "--esell-dump: a line is not a 64-bit hex word"; fi
[ "$(tail -n 1 <<<"$words")" = 0000000000000007 ] || fail "--esell-dump: table word should count 7 words"

# --dump --format csr, worked by hand: each row is (0, 1, -2, 0.5), so a segment of 4 rows is a
# head word (3 non-zeros in every lane), then per row an index word (columns 1, 2, 3, and 0 as
# padding) and a value word (fp16 1, -2, 0.5 and a zero): 9 words; two segments, a table word
# counting 9 and 9; 10 of the 18 words steer (2 heads, 8 index words), 8 carry weights.
"$bin" --npy "$tmp/w.npy" --dump "$tmp/w.csr" --format csr >"$tmp/csr" || fail "--dump --format csr exited non-zero"
words="$(grep -v '^//' "$tmp/w.csr")"
[ "$(grep -c . <<<"$words")" -eq 19 ] || fail "--format csr: expected 18 stream + 1 table words, got: $words"
[ "$(sed -n 1,3p <<<"$words" | tr '\n' ' ')" = "0003000300030003 0000000300020001 00003800c0003c00 " ] ||
  fail "--format csr: head, index and value words differ: $(sed -n 1,3p <<<"$words" | tr '\n' ' ')"
[ "$(tail -n 1 <<<"$words")" = 0000000000090009 ] || fail "--format csr: table word should count 9 and 9"
grep -Eq '^csr +18 +10 +8 +3\.00$' "$tmp/csr" || fail "--format csr: port-stream row: $(grep '^csr' "$tmp/csr")"
grep -q '^csc_ese fixed12 ' "$tmp/csr" || fail "no csc_ese fixed12 port-stream row"
"$bin" --benchmark mnist --matrix U --pruning bank_balanced >"$tmp/bbs" || fail "--pruning bank_balanced exited non-zero"
grep -q '^matrix: mnist layer 1 U .*bank_balanced' "$tmp/bbs" || fail "--pruning: not in the matrix line"

# --npy of float32 values fp16 cannot represent exactly: rounded (as --help says), in the
# statistics and in every --dump; 0.1 is fp16 0x2e66.
# write_f32_npy FILE VALUE: a 4 x 4 float32 array of VALUE.
write_f32_npy() {
  python3 - "$1" "$2" <<'PY'
import struct, sys
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }"
header += " " * (63 - (10 + len(header)) % 64) + "\n"
with open(sys.argv[1], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<16f", *[float(sys.argv[2])] * 16))
PY
}
write_f32_npy "$tmp/tenth.npy" 0.1
for format in esell csc_ese cbs_bbs csr; do
  "$bin" --npy "$tmp/tenth.npy" --dump "$tmp/tenth.$format" --format $format >"$tmp/tenth" 2>"$tmp/tenth.err" \
    || fail "--npy of 0.1 with --dump --format $format: $(cat "$tmp/tenth.err")"
  grep -qi '2e66' "$tmp/tenth.$format" || fail "--dump --format $format: no fp16 0.1 (2e66) in the words"
done
grep -q ': 4 x 4, 16 non-zeros' "$tmp/tenth" || fail "--npy of 0.1: wrong matrix line: $(cat "$tmp/tenth")"
# A value fp16 cannot hold is an error naming the element.
write_f32_npy "$tmp/huge.npy" 1e6
expect_bad "huge.npy: element 0 = 1e+06 is not a finite fp16 value" --npy "$tmp/huge.npy"

# Bad inputs.
printf 'not an npy file\n' >"$tmp/garbage.npy"
expect_bad "nosuch" --benchmark nosuch
expect_bad "--layer 3" --benchmark ptb --layer 3
expect_bad "abc" --benchmark ptb --layer abc
expect_bad "X" --benchmark ptb --matrix X
expect_bad "--gain" --benchmark ptb --gain 0
expect_bad "$tmp/missing.npy" --npy "$tmp/missing.npy"
expect_bad "$tmp/garbage.npy" --npy "$tmp/garbage.npy"
expect_bad "--benchmark" --npy "$tmp/w.npy" --benchmark ptb
expect_bad "--layer" --npy "$tmp/w.npy" --layer 2
expect_bad "bogus" --benchmark ptb --bogus
expect_bad "extra" --benchmark ptb extra
expect_bad "--benchmark" # neither --benchmark nor --npy
expect_bad "$tmp/no/such/dir/w.hex" --npy "$tmp/w.npy" --esell-dump "$tmp/no/such/dir/w.hex"
expect_bad "--format 'coo'" --npy "$tmp/w.npy" --dump "$tmp/x.hex" --format coo
expect_bad "--pruning 'random'" --benchmark ptb --pruning random
expect_bad "--pruning" --npy "$tmp/w.npy" --pruning bank_balanced
expect_bad "not both" --npy "$tmp/w.npy" --dump "$tmp/x.hex" --esell-dump "$tmp/y.hex"
expect_bad "--esell-dump writes eSELL" --npy "$tmp/w.npy" --esell-dump "$tmp/y.hex" --format csr

echo "elstm_esell.sh: all checks passed"
