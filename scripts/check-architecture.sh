#!/usr/bin/env bash
# Checks that the layering of toil/rtlog holds (see toil/rtlog/BUILD.bazel
# and docs/architecture.md):
#   - the include graph: nothing includes a folder above its own, and no
#     loop between files or between folders (scripts/include_graph.py);
#   - the job-side target //toil/rtlog reaches neither simdjson nor any
#     leader code;
#   - the toil-rtlog tool depends on no internal target directly;
#   - toil/batch needs nothing of toil/rtlog but its vocabulary (base/);
#   - a job-side file that depends on a leader target, or on the wire's
#     decoder, or that includes a leader header without the dependency,
#     fails to build (a probe package is made under toil/rtlog/job/ for the
#     check, and removed).
# Ends with "architecture: N checks passed, N failed"; exits 1 on a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

passed=0
failed=0
check() {  # check NAME OK(0/1) [DETAIL]
  if [ "$2" -eq 0 ]; then
    echo "architecture: ok: $1"
    passed=$((passed + 1))
  else
    echo "architecture: FAILED: $1${3:+ ($3)}"
    failed=$((failed + 1))
  fi
}
query() { bazel query "$1" 2>/dev/null; }

out=$(python3 scripts/include_graph.py)
check "the include graph: no loop, nothing upward" "$?" "$(grep FAILED <<<"$out" | head -3)"
out=$(query 'somepath(//toil/rtlog:rtlog, @simdjson//:simdjson)')
check "//toil/rtlog does not reach simdjson" "$([ -z "$out" ]; echo $?)" "$out"
out=$(query 'somepath(//toil/rtlog:rtlog, //toil/rtlog/leader/...)')
check "//toil/rtlog does not reach leader code" "$([ -z "$out" ]; echo $?)" "$out"
out=$(query 'deps(//toil/cli:toil-rtlog, 1)' |
      grep -E '^//toil/rtlog/(common|wire|job|leader/[a-z]+):' || true)
check "toil-rtlog depends on no internal target" "$([ -z "$out" ]; echo $?)" "$out"
out=$(query 'deps(kind(cc_library, //toil/batch/...))' | grep '^//toil/rtlog' | grep -v '^//toil/rtlog/base:' || true)
check "toil/batch needs only toil/rtlog's vocabulary" "$([ -z "$out" ]; echo $?)" "$out"

probe=toil/rtlog/job/layering_probe
trap 'rm -rf "$probe"' EXIT
mkdir -p "$probe"
cat >"$probe/with_dep.cc" <<'CC'
#include "toil/rtlog/leader/ingest/udp_server.h"
CC
cat >"$probe/without_dep.cc" <<'CC'
#include "toil/rtlog/leader/ingest/udp_server.h"
CC
cat >"$probe/decoder.cc" <<'CC'
#include "toil/rtlog/wire/record_decoder.h"
CC
cat >"$probe/BUILD.bazel" <<'BUILD'
# Made and removed by scripts/check-architecture.sh: each must fail to build.
cc_library(name = "with_dep", srcs = ["with_dep.cc"], deps = ["//toil/rtlog/leader/ingest:udp_server"])
cc_library(name = "without_dep", srcs = ["without_dep.cc"])
cc_library(name = "decoder", srcs = ["decoder.cc"], deps = ["//toil/rtlog/wire:record_decoder"])
BUILD
expect_failure() {  # expect_failure TARGET WHAT PATTERN
  local log
  log=$(bazel build --jobs=2 "//${probe}:$1" 2>&1)
  if [ $? -ne 0 ] && grep -qE "$3" <<<"$log"; then
    check "$2 fails to build" 0
  else
    check "$2 fails to build" 1 "$(grep -m3 -E 'ERROR|error' <<<"$log")"
  fi
}
expect_failure with_dep "a job-side target depending on the leader" "is not visible from target"
expect_failure without_dep "a job-side file including a leader header" "No such file or directory"
expect_failure decoder "a job-side target depending on the wire's decoder" "is not visible from target"
rm -rf "$probe"

echo "architecture: ${passed} checks passed, ${failed} failed"
[ "$failed" -eq 0 ]
