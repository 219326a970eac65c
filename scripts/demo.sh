#!/usr/bin/env bash
# Installs what the build needs, then runs the demo workflow: a leader that
# runs several jobs whose RT_LOG lines appear here, interleaved, as they
# happen. Extra arguments go to the demo (try --jobs=6 --level=DEBUG).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec bazel run --jobs=2 --config=opt //examples:demo_workflow -- "$@"
