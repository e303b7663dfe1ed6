#!/usr/bin/env bash
# elstm-tune: the hand-worked layer of analytic_test.cpp through the command line, and its errors.
set -euo pipefail
tune="$1/elstm-tune"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$tune" --help | grep -q -- "--n-fuse" || fail "--help does not list --n-fuse"
"$tune" --help | grep -q "docs/design.md §1" || fail "--help does not cite docs/design.md §1"

out=$("$tune" --m 4 --n 4 --steps 10 --sp-w 0.5 --sp-u 0.5 --sp-h 0.5 --n-pe 3 --n-fuse 1..5)
# m=n=4, 10 steps, half zeros everywhere: g=1 → 80, g=2 → 72, g=3 → 72, sequential 120.
grep -Eq '^ +3 +1 +8 +64 +8 +80 +1\.500$' <<<"$out" || fail "g=1 row: $out"
grep -Eq '^ +3 +2 +16 +48 +8 +72 +1\.667$' <<<"$out" || fail "g=2 row: $out"
grep -q 'sequential (1 PE): 120 cycles' <<<"$out" || fail "sequential: $out"
grep -q 'best overall: n_pe=3 n_fuse=2, 72 cycles, 1.667x' <<<"$out" || fail "best: $out"

"$tune" --benchmark ptb --layer 2 --n-pe 2..3 --n-fuse 1,2 | grep -q 'm=800 n=800 steps=35 sp_w=0.200 sp_u=0.600' \
  || fail "ptb layer 2 shape"

expect_error() {
  local pattern="$1"; shift
  local err rc=0
  err=$("$tune" "$@" 2>&1 >/dev/null) || rc=$?
  [ "$rc" -eq 2 ] || fail "exit $rc for $*"
  [ "$(wc -l <<<"$err")" -eq 1 ] || fail "more than one error line for $*: $err"
  grep -q "^elstm-tune: .*$pattern" <<<"$err" || fail "message for $*: $err"
}
expect_error "mnist, ptb" --benchmark lenet
expect_error "layers 1..2" --benchmark ptb --layer 3
expect_error "at least 2 PEs" --benchmark ptb --n-pe 1..3
expect_error "empty range '5..2'" --benchmark ptb --n-fuse 5..2
expect_error "'x' is not a whole number" --benchmark ptb --n-pe 2,x
expect_error "sp-h must be in" --benchmark ptb --sp-h 1.5
expect_error "--n is missing" --m 4 --steps 3
expect_error "unrecognised option" --benchmark ptb --frobnicate
echo "elstm-tune: all checks passed"
