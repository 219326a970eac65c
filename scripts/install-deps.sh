#!/usr/bin/env bash
# Installs the Debian 12 packages toil-rtlog builds with, if any is missing.
# Uses sudo when not root. Everything the build needs comes from here: Bazel
# itself fetches nothing.
#
#   scripts/install-deps.sh           what the build, the tests and the demo need
#   scripts/install-deps.sh --bench   and what the benchmarks compare against or
#                                     profile with: rsyslog and its RELP module
#                                     (the outside reference) and perf
set -euo pipefail

packages=(
  bazel-bootstrap bazel-rules-java g++ python3
  libabsl-dev libprotobuf-dev protobuf-compiler libgrpc++-dev
  protobuf-compiler-grpc libgtest-dev libgmock-dev libbenchmark-dev
  libsimdjson-dev libssl-dev libre2-dev
  clang libclang-rt-14-dev clang-format
  slurm-wlm munge iproute2 util-linux nftables
  toil
)
case "${1:-}" in
  "") ;;
  --bench) packages+=(rsyslog rsyslog-relp linux-perf) ;;
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "install-deps.sh: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# The Slurm and munge packages would start their daemons where they can;
# the tests and scripts/slurm-cluster.sh start their own.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
