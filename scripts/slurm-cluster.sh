#!/usr/bin/env bash
# A real Slurm cluster on this machine, for trying toil-rtlog on Slurm and for
# its tests: munged with its own key and socket, slurmctld in this network
# namespace, and N slurmd compute nodes, each in a network namespace of its
# own with its own address (198.18.X.0/24, the range reserved for network
# tests) and its own host name (node1, node2, ...). The namespaces hang off a
# bridge whose address (198.18.X.1) the controller, and a leader, listen on,
# so every datagram from a job crosses a real (virtual) network. Needs root.
#
#   scripts/slurm-cluster.sh up [--dir DIR] [--nodes N] [--timeout S]
#                                                         start; prints exports
#   scripts/slurm-cluster.sh status [--dir DIR]           sinfo, or why not
#   scripts/slurm-cluster.sh down [--dir DIR]             stop and remove all
#
# DIR (default /tmp/toil-rtlog-slurm) holds the configuration, keys, state and
# logs, and DIR/cluster.env what `down` must remove. S (default 5, 1 to 300)
# is how many seconds a node may stay silent before Slurm marks it down, and
# how long Slurm waits for a message: tests on a loaded or sanitized machine
# pass a longer one, so that a slow node is not taken for a failed one. `up` prints
#   export SLURM_CONF=DIR/slurm.conf
#   export TOIL_RTLOG_SLURM_BRIDGE_ADDRESS=198.18.X.1
# so that `eval "$(scripts/slurm-cluster.sh up)"` points Slurm's commands
# (sbatch, squeue, ...) at the cluster. `down` kills every process of the
# cluster by pid (and whatever still runs in its namespaces), deletes the
# namespaces and links, and removes DIR. Exits 0 on success, 1 on failure
# (with the reason and the tail of the daemon's log), 2 on a usage error.
set -uo pipefail
# The daemons live in sbin, which a test's PATH may lack.
export PATH="${PATH}:/usr/sbin:/sbin"

command="${1:-}"
shift || true
dir=/tmp/toil-rtlog-slurm
nodes=2
timeout=5
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --dir=*) dir="${1#*=}"; shift ;;
    --nodes) nodes="$2"; shift 2 ;;
    --nodes=*) nodes="${1#*=}"; shift ;;
    --timeout) timeout="$2"; shift 2 ;;
    --timeout=*) timeout="${1#*=}"; shift ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "slurm-cluster.sh: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
  esac
done
case "$command" in
  up|down|status) ;;
  -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "slurm-cluster.sh: expected up, down or status, not \"${command}\" (see --help)" >&2; exit 2 ;;
esac
if ! [[ "$nodes" =~ ^[1-9]$ ]]; then
  echo "slurm-cluster.sh: --nodes takes 1 to 9, not \"${nodes}\"" >&2
  exit 2
fi
if ! [[ "$timeout" =~ ^[1-9][0-9]{0,2}$ ]] || [ "$timeout" -gt 300 ]; then
  echo "slurm-cluster.sh: --timeout takes 1 to 300 seconds, not \"${timeout}\"" >&2
  exit 2
fi
case "$dir" in
  /*) ;;
  *) dir="$(pwd)/${dir}" ;;
esac
state="${dir}/cluster.env"

cleanup_on_failure=0
fail() {
  echo "slurm-cluster.sh: error: $*" >&2
  if [ "$cleanup_on_failure" -eq 1 ]; then
    echo "slurm-cluster.sh: removing what was started" >&2
    down
  fi
  exit 1
}

# --- down ---

# Stops processes by pid: TERM to all, then KILL to those still there after
# 5 s.
stop_pids() {
  local pid alive
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null; done
  for _ in $(seq 50); do
    alive=""
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && return 0
    sleep 0.1
  done
  for pid in "$@"; do kill -KILL "$pid" 2>/dev/null; done
}

down() {
  [ -f "$state" ] || { rm -rf "$dir"; return 0; }
  # shellcheck disable=SC1090
  . "$state"
  # shellcheck disable=SC2086
  stop_pids ${SLURMD_PIDS:-} ${SLURMCTLD_PID:-} ${MUNGED_PID:-}
  for ns in ${NAMESPACES:-}; do
    # Jobs, slurmstepd: whatever still runs on the node.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  for link in ${LINKS:-}; do ip link del "$link" 2>/dev/null; done
  rm -rf "$dir"
}

if [ "$command" = down ]; then
  down
  echo "slurm-cluster.sh: the cluster in ${dir} is down" >&2
  exit 0
fi

if [ "$command" = status ]; then
  [ -f "$state" ] || fail "no cluster in ${dir} (start one with: $0 up --dir ${dir})"
  SLURM_CONF="${dir}/slurm.conf" sinfo -N -o '%N %t %o' || fail "the controller does not answer"
  exit 0
fi

# --- up ---

[ "$(id -u)" -eq 0 ] || fail "starting a Slurm cluster needs root (munged, slurmctld, slurmd, network namespaces)"
for program in munged slurmctld slurmd sinfo ip nsenter unshare python3; do
  command -v "$program" >/dev/null || fail "${program} is not installed (scripts/install-deps.sh installs slurm-wlm, munge and iproute2)"
done
[ -f "$state" ] && fail "a cluster already runs in ${dir}; stop it first: $0 down --dir ${dir}"
mkdir -p "$dir" || fail "cannot create ${dir}"
chmod 0755 "$dir"
: >"$state"
# A copy of this script stays with the cluster, so that `down` can run
# from it whatever happens to the checkout (tests' guardians use it).
cp "$0" "${dir}/slurm-cluster.sh"
record() { echo "$1=\"$2\"" >>"$state"; }
cleanup_on_failure=1
trap 'cleanup_on_failure=0; down; exit 130' INT TERM

# A free 198.18.X.0/24: the first X whose bridge can be created (creating
# it claims X, so clusters started at the same time do not collide).
index=""
for candidate in $(seq 1 250); do
  if ip link add "trs${candidate}br" type bridge 2>/dev/null; then
    index="$candidate"
    break
  fi
done
[ -n "$index" ] || fail "no free bridge name trs1br ... trs250br"
prefix="trs${index}"
bridge="${prefix}br"
net="198.18.${index}"
record LINKS "$bridge"
ip addr add "${net}.1/24" dev "$bridge" || fail "cannot address ${bridge}"
ip link set "$bridge" up || fail "cannot bring ${bridge} up"

namespaces=""
links="$bridge"
for k in $(seq "$nodes"); do
  ns="${prefix}n${k}"
  ip netns add "$ns" || fail "cannot create network namespace ${ns}"
  namespaces="${namespaces} ${ns}"
  record NAMESPACES "$namespaces"
  ip link add "${ns}h" type veth peer name "${ns}c" || fail "cannot create veth ${ns}h"
  links="${links} ${ns}h"
  record LINKS "$links"
  { ip link set "${ns}h" master "$bridge" up &&
    ip link set "${ns}c" netns "$ns" &&
    ip -n "$ns" link set lo up &&
    ip -n "$ns" link set "${ns}c" name eth0 &&
    ip -n "$ns" addr add "${net}.$((10 + k))/24" dev eth0 &&
    ip -n "$ns" link set eth0 up &&
    ip -n "$ns" route add default via "${net}.1"; } || fail "cannot wire ${ns} to ${bridge}"
done

# munged: its own key, socket, pid and log; the socket's directory must be
# open to all, or munged refuses it.
mkdir -p "${dir}/munge" "${dir}/state" "${dir}/spool" || fail "cannot create ${dir}/munge"
chmod 0755 "${dir}/munge"
head -c 1024 /dev/urandom >"${dir}/munge/munge.key" || fail "cannot write the munge key"
chmod 0400 "${dir}/munge/munge.key"
munged --force --foreground --key-file="${dir}/munge/munge.key" \
  --socket="${dir}/munge/munged.sock" --pid-file="${dir}/munge/munged.pid" \
  --log-file="${dir}/munge/munged.log" --seed-file="${dir}/munge/munged.seed" \
  >/dev/null 2>&1 &
record MUNGED_PID "$!"
for _ in $(seq 100); do [ -S "${dir}/munge/munged.sock" ] && break; sleep 0.1; done
[ -S "${dir}/munge/munged.sock" ] || fail "munged did not start: $(tail -5 "${dir}/munge/munged.log" 2>/dev/null)"

# A free TCP port for the controller.
ctld_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')
host="$(hostname -s)"
{
  echo "# Written by scripts/slurm-cluster.sh for a test cluster; removed by 'down'."
  echo "ClusterName=toilrtlog${index}"
  echo "SlurmctldHost=${host}(${net}.1)"
  echo "SlurmUser=root"
  echo "SlurmdUser=root"
  echo "SlurmctldPort=${ctld_port}"
  echo "SlurmdPort=6818"
  echo "AuthType=auth/munge"
  echo "AuthInfo=socket=${dir}/munge/munged.sock"
  echo "CredType=cred/munge"
  echo "StateSaveLocation=${dir}/state"
  echo "SlurmdSpoolDir=${dir}/spool/%n"
  echo "SlurmctldPidFile=${dir}/slurmctld.pid"
  echo "SlurmdPidFile=${dir}/slurmd-%n.pid"
  echo "SlurmctldLogFile=${dir}/slurmctld.log"
  echo "SlurmdLogFile=${dir}/slurmd-%n.log"
  echo "ProctrackType=proctrack/linuxproc"
  echo "TaskPlugin=task/none"
  echo "JobAcctGatherType=jobacct_gather/none"
  echo "AccountingStorageType=accounting_storage/none"
  echo "SelectType=select/cons_tres"
  echo "SelectTypeParameters=CR_CPU"
  echo "SchedulerType=sched/backfill"
  echo "SchedulerParameters=sched_min_interval=0"
  # Toil's Slurm batch system polls every 1.2 x this (default 30 s).
  echo "SchedulerTimeSlice=5"
  echo "MpiDefault=none"
  echo "SwitchType=switch/none"
  # Finished jobs stay known for 10 minutes (scontrol show job), jobs on a
  # failed node are not requeued, a node that stops answering is down
  # within seconds, and a job past its time limit is killed promptly.
  echo "MinJobAge=600"
  echo "JobRequeue=0"
  echo "ReturnToService=2"
  echo "SlurmdTimeout=${timeout}"
  echo "MessageTimeout=${timeout}"
  echo "KillWait=2"
  echo "OverTimeLimit=0"
  echo "InactiveLimit=0"
  for k in $(seq "$nodes"); do
    echo "NodeName=node${k} NodeAddr=${net}.$((10 + k)) NodeHostname=node${k} CPUs=2 RealMemory=1000 State=UNKNOWN"
  done
  # LLN: each job goes to the least loaded node, so jobs spread out.
  echo "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP LLN=YES"
} >"${dir}/slurm.conf"
export SLURM_CONF="${dir}/slurm.conf"

slurmctld -D -i -f "$SLURM_CONF" >"${dir}/slurmctld.out" 2>&1 &
record SLURMCTLD_PID "$!"
pids=""
for k in $(seq "$nodes"); do
  mkdir -p "${dir}/spool/node${k}"
  # A node: its own network namespace and, with unshare, its own host name,
  # which the jobs it starts inherit. (nsenter, not `ip netns exec`, which
  # mounts a sysfs of its own and so hides /sys/fs/cgroup from slurmd.)
  nsenter --net="/run/netns/${prefix}n${k}" unshare --uts sh -c \
    "hostname node${k} && exec slurmd -D -f '${SLURM_CONF}' -N node${k}" \
    >"${dir}/slurmd-node${k}.out" 2>&1 &
  pids="${pids} $!"
  record SLURMD_PIDS "$pids"
done

# Ready when every node is idle.
ready=""
for _ in $(seq 300); do
  idle=$(sinfo -h -N -o '%t' 2>/dev/null | grep -c '^idle$' || true)
  if [ "$idle" -eq "$nodes" ]; then ready=1; break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  sinfo -N 2>&1 | sed 's/^/  /' >&2
  tail -5 "${dir}/slurmctld.log" 2>/dev/null | sed 's/^/  slurmctld: /' >&2
  fail "the nodes did not become idle within 30 s"
fi
cleanup_on_failure=0
trap - INT TERM
record SLURM_CONF "$SLURM_CONF"
record BRIDGE_ADDRESS "${net}.1"
echo "export SLURM_CONF=${SLURM_CONF}"
echo "export TOIL_RTLOG_SLURM_BRIDGE_ADDRESS=${net}.1"
echo "slurm-cluster.sh: ${nodes} nodes up in ${dir} (controller ${host} at ${net}.1:${ctld_port}); stop with: $0 down --dir ${dir}" >&2
