#!/usr/bin/env bash
# Checks that every C++ file of the tree is formatted as .clang-format says
# (clang-format, from Debian's clang-format package). Prints one line per
# file that is not, then "format: ok: N files" or "format: FAILED: N of M
# files"; exits 1 when any is not.
#
#   scripts/check-format.sh          check
#   scripts/check-format.sh --fix    format them in place
set -uo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "") fix=0 ;;
  --fix) fix=1 ;;
  -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "check-format.sh: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
esac
if ! command -v clang-format >/dev/null; then
  echo "format: FAILED: clang-format is not installed (scripts/install-deps.sh installs it)"
  exit 1
fi
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [ "$fix" -eq 1 ]; then
  clang-format -i "${files[@]}"
  echo "format: formatted ${#files[@]} files"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "format: not formatted: $f (scripts/check-format.sh --fix)"
    bad=$((bad + 1))
  fi
done
if [ "$bad" -gt 0 ]; then
  echo "format: FAILED: ${bad} of ${#files[@]} files"
  exit 1
fi
echo "format: ok: ${#files[@]} files"
