#!/usr/bin/env bash
# Every program: --version prints one line, its name and the project version, and exits 0;
# --help and -h print a usage and exit 0 without running anything.
# Usage: version_help.sh DIR VERSION PROGRAM...
set -euo pipefail
dir="$1" version="$2"; shift 2
fail() { echo "FAIL: $*" >&2; exit 1; }

for prog in "$@"; do
  out=$(timeout 20 "$dir/$prog" --version) || fail "$prog --version exits $?"
  [ "$out" = "$prog $version" ] || fail "$prog --version prints '$out', expected '$prog $version'"
  for opt in --help -h; do
    out=$(timeout 20 "$dir/$prog" "$opt" 2>&1) || fail "$prog $opt exits $?"
    grep -qi "usage\|options" <<<"$out" || fail "$prog $opt prints no usage: $out"
    grep -q -- "--version" <<<"$out" || fail "$prog $opt does not list --version"
  done
done
# iss_bench takes a repetition count, --kernel NAME and --instructions N: anything else is refused, not run.
if [[ " $* " == *" iss_bench "* ]]; then
  rc=0; err=$(timeout 20 "$dir/iss_bench" x 2>&1 >/dev/null) || rc=$?
  [ "$rc" -eq 2 ] || fail "iss_bench x exits $rc"
  [ "$err" = "iss_bench: 'x' is not a repetition count 1..1000000 (see --help)" ] || fail "iss_bench x: $err"
  rc=0; err=$(timeout 20 "$dir/iss_bench" 3 4 2>&1 >/dev/null) || rc=$?
  [ "$rc" -eq 2 ] || fail "iss_bench 3 4 exits $rc"
  [ "$err" = "iss_bench: unexpected argument '4' (see --help)" ] || fail "iss_bench 3 4: $err"
  for bad in "--kernel nope|no kernel 'nope'" "--kernel|--kernel needs a value" \
             "--instructions 0|'0' is not an instruction count 1..1000000000000"; do
    rc=0; err=$(timeout 20 "$dir/iss_bench" ${bad%%|*} 2>&1 >/dev/null) || rc=$?
    [ "$rc" -eq 2 ] || fail "iss_bench ${bad%%|*} exits $rc"
    [ "$err" = "iss_bench: ${bad#*|} (see --help)" ] || fail "iss_bench ${bad%%|*}: $err"
  done
fi
echo "version_help: $* checked"
