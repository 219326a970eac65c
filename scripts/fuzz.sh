#!/usr/bin/env bash
# Builds the fuzz targets with clang and libFuzzer (plus ASan and UBSan) and
# runs each one, starting from its seed corpus in fuzz/corpus/.
#
#   scripts/fuzz.sh                       each target for 20 s (what CI does)
#   scripts/fuzz.sh --time 3600           each target for an hour
#   scripts/fuzz.sh --runs 10000000       each target for 10 million inputs
#   scripts/fuzz.sh --runs 1e7 decoder_fuzzer     one target only
#
# The corpus each run grows is kept in ~/.cache/toil-rtlog/fuzz/<target>/
# (so later runs start from it); a crashing input is written to
# ~/.cache/toil-rtlog/fuzz/<target>-crash-*, and the script fails. It builds
# in a Bazel output base of its own, so the fuzz toolchain (clang) does not
# replace the normal build's.
set -uo pipefail
cd "$(dirname "$0")/.."

limit=(-max_total_time=20)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$(python3 -c "print(int(float('$2')))")"); shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  targets=(decoder_fuzzer percent_format_fuzzer stream_frame_fuzzer)
fi

cache="${HOME}/.cache/toil-rtlog"
extra=()
if [ "${CI:-}" = "true" ]; then extra+=(--config=ci); fi
labels=()
for t in "${targets[@]}"; do labels+=("//fuzz:${t}"); done
bazel --output_base="${cache}/bazel-fuzz" build --jobs=2 --config=fuzz \
  "${extra[@]}" "${labels[@]}" || exit 1
bin="$(bazel --output_base="${cache}/bazel-fuzz" info --config=fuzz bazel-bin 2>/dev/null)"

status=0
for t in "${targets[@]}"; do
  seeds="fuzz/corpus/${t%_fuzzer}"
  work="${cache}/fuzz/${t}"
  mkdir -p "$work"
  log="$(mktemp)"
  echo "=== fuzzing ${t} (${limit[*]}), corpus ${work}, seeds ${seeds}" >&2
  ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
    "${bin}/fuzz/${t}" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="${cache}/fuzz/${t}-" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added)|#[0-9]+.*DONE' "$log" >&2
  if [ "$rc" -ne 0 ]; then
    tail -60 "$log" >&2
    echo "fuzz: ${t} FAILED (exit ${rc})" >&2
    status=1
  else
    echo "fuzz: ${t} passed" >&2
  fi
  rm -f "$log"
done
exit "$status"
