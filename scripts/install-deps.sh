#!/usr/bin/env bash
# Installs the Debian 12 packages toil-rtlog builds with, if any is missing.
# Uses sudo when not root. Everything the build needs comes from here: Bazel
# itself fetches nothing.
set -euo pipefail

packages=(
  bazel-bootstrap bazel-rules-java g++ python3
  libabsl-dev libprotobuf-dev protobuf-compiler libgrpc++-dev
  protobuf-compiler-grpc libgtest-dev libgmock-dev libbenchmark-dev
  libsimdjson-dev libssl-dev libre2-dev
  clang libclang-rt-14-dev
  slurm-wlm munge iproute2 util-linux
)

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
