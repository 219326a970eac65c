#!/usr/bin/env bash
# Runs test targets many times, in each configuration, with every core kept
# busy by a CPU burner, to find tests that pass only when the machine is fast.
# Lists every target that failed at least once, with the first failure's log.
#
#   scripts/stress.sh                          every target, 10 runs, plain+asan+tsan
#   scripts/stress.sh --runs=3 //tests:cli_test //tests:fault_test
#   scripts/stress.sh --configs=tsan --runs=20 //tests:python_compat_test
#   scripts/stress.sh --no-load                without the CPU burners
#
# Options:
#   --runs=N         runs of each target in each configuration (default 10)
#   --configs=LIST   comma-separated, from plain, asan, tsan (default all three)
#   --jobs=N         tests run at once (default: the number of cores)
#   --no-load        do not start the CPU burners
# Exits 0 when every run passed, 1 when any failed, 2 on a usage error.
# Ends with one line: "stress: R runs of T targets in C configurations: F failed".
set -uo pipefail
cd "$(dirname "$0")/.."

runs=10
configs="plain,asan,tsan"
jobs="$(nproc)"
load=1
targets=()
usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
  case "$arg" in
    --runs=*) runs="${arg#*=}" ;;
    --configs=*) configs="${arg#*=}" ;;
    --jobs=*) jobs="${arg#*=}" ;;
    --no-load) load=0 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "stress.sh: unknown option ${arg} (see --help)" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done
for number in "$runs" "$jobs"; do
  if ! [[ "$number" =~ ^[1-9][0-9]*$ ]]; then
    echo "stress.sh: --runs and --jobs take a positive whole number, not \"${number}\"" >&2
    exit 2
  fi
done
IFS=, read -r -a config_list <<<"$configs"
for config in "${config_list[@]}"; do
  case "$config" in
    plain|asan|tsan) ;;
    *) echo "stress.sh: unknown configuration \"${config}\" (plain, asan or tsan)" >&2; exit 2 ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then targets=(//...); fi

extra=()
if [ "${CI:-}" = "true" ]; then extra+=(--config=ci); fi

# Keep every core busy for as long as the script runs.
burners=()
stop_burners() {
  for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null; done
  burners=()
}
trap stop_burners EXIT
trap 'stop_burners; exit 130' INT TERM
if [ "$load" -eq 1 ]; then
  for _ in $(seq "$(nproc)"); do
    ( while :; do :; done ) &
    burners+=($!)
  done
  echo "stress: ${#burners[@]} CPU burners running" >&2
fi

started=$(date +%s)
report=$(mktemp)
log=$(mktemp)
total_targets=0
failed_runs=0
for config in "${config_list[@]}"; do
  flag=()
  if [ "$config" != plain ]; then flag=(--config="$config"); fi
  echo "=== ${config}: ${runs} runs of ${targets[*]}" >&2
  bazel test --jobs=2 "${flag[@]}" "${extra[@]}" --runs_per_test="$runs" \
    --local_test_jobs="$jobs" --nocache_test_results --test_output=summary \
    "${targets[@]}" 2>&1 | tee "$log" >&2
  testlogs="$(bazel info "${flag[@]}" bazel-testlogs 2>/dev/null)"
  # Summary lines: "//pkg:target  PASSED in ..." or "FAILED in 2 out of 10 in ...".
  count=$(grep -cE '^//[^ ]+ +(\(cached\) )?(PASSED|FAILED|TIMEOUT|FLAKY|NO STATUS)' "$log")
  total_targets=$((total_targets > count ? total_targets : count))
  if [ "$count" -eq 0 ]; then
    echo "[${config}] the build failed: no test ran" >>"$report"
    tail -30 "$log" >>"$report"
    failed_runs=$((failed_runs + 1))
    continue
  fi
  while read -r target status rest; do
    [ "$status" = "PASSED" ] && continue
    n=$(grep -oE '[0-9]+ out of' <<<"$rest" | cut -d' ' -f1)
    failed_runs=$((failed_runs + ${n:-1}))
    dir="${testlogs}/$(sed -e 's|^//||' -e 's|:|/|' <<<"$target")"
    first=""
    for run in $(seq "$runs"); do
      candidate="${dir}/run_${run}_of_${runs}/test.log"
      [ "$runs" -eq 1 ] && candidate="${dir}/test.log"
      xml="${candidate%.log}.xml"
      if [ -f "$candidate" ] && { ! [ -f "$xml" ] || grep -qE '<(failure|error)' "$xml"; }; then
        first="$candidate"
        break
      fi
    done
    {
      echo "[${config}] ${target} ${status} ${rest}"
      if [ -n "$first" ]; then
        echo "  first failure: ${first}"
        # The first failure's own lines: gtest's, a sanitizer's, or the end.
        if grep -qE ': Failure$|Sanitizer|TIMEOUT|Check failed' "$first"; then
          grep -m1 -A25 -E ': Failure$|Sanitizer|TIMEOUT|Check failed' "$first" | sed 's/^/  | /'
        else
          tail -25 "$first" | sed 's/^/  | /'
        fi
      fi
    } >>"$report"
  done < <(grep -E '^//[^ ]+ +(FAILED|TIMEOUT|FLAKY|NO STATUS)' "$log" |
           sed -E 's/^(\/\/[^ ]+) +(FAILED|TIMEOUT|FLAKY|NO STATUS)(.*)/\1 \2 \3/' |
           sed -E 's/NO STATUS/NO_STATUS/')
done
stop_burners
elapsed=$(( $(date +%s) - started ))

echo
if [ -s "$report" ]; then
  echo "Targets that failed at least once:"
  cat "$report"
else
  echo "No target failed."
fi
echo "stress: ${runs} runs of ${total_targets} targets in ${#config_list[@]} configurations (${configs}): ${failed_runs} failed; $((elapsed / 60)) min $((elapsed % 60)) s"
rm -f "$report" "$log"
[ "$failed_runs" -eq 0 ]
