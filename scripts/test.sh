#!/usr/bin/env bash
# Installs what the build needs, then runs the whole test suite: plainly,
# under AddressSanitizer + UndefinedBehaviorSanitizer, and under
# ThreadSanitizer; then each fuzz target for 20 s (scripts/fuzz.sh), the
# layering checks (scripts/check-architecture.sh) and the formatting check
# (scripts/check-format.sh). Ends with one line "tests: N passed, N failed"
# (a fuzz target, a layering check or the formatting counts as one).
#
#   scripts/test.sh            everything
#   scripts/test.sh --quick    the plain run only
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1

configs=("" "--config=asan" "--config=tsan")
if [ "${1:-}" = "--quick" ]; then
  configs=("")
fi
extra=()
if [ "${CI:-}" = "true" ]; then
  extra+=(--config=ci)
fi

passed=0
failed=0
status=0
log=$(mktemp)
# tally RC PASS_PATTERN FAIL_PATTERN: adds the lines of $log matching each to
# the counts; a failure with no failing line (a build error) counts as one.
tally() {
  local p f
  p=$(grep -cE "$2" "$log" || true)
  f=$(grep -cE "$3" "$log" || true)
  if [ "$1" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$1" -ne 0 ]; then status=1; fi
}
for config in "${configs[@]}"; do
  echo "=== bazel test ${config:-(plain)} //..." >&2
  # shellcheck disable=SC2086
  bazel test --jobs=2 ${config} "${extra[@]}" //... 2>&1 | tee "$log"
  tally "${PIPESTATUS[0]}" '^//[^ ]+ +(\(cached\) )?PASSED' \
    '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FLAKY)'
done
if [ "${1:-}" != "--quick" ]; then
  echo "=== fuzzing each target briefly" >&2
  scripts/fuzz.sh 2>&1 | tee "$log"
  tally "${PIPESTATUS[0]}" '^fuzz: .* passed' '^fuzz: .* FAILED'
fi
echo "=== layering checks" >&2
scripts/check-architecture.sh 2>&1 | tee "$log"
tally "${PIPESTATUS[0]}" '^architecture: ok: ' '^architecture: FAILED: '
echo "=== formatting" >&2
scripts/check-format.sh 2>&1 | tee "$log"
tally "${PIPESTATUS[0]}" '^format: ok: ' '^format: FAILED: '
rm -f "$log"
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
