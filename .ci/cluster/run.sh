#!/usr/bin/env bash
# `make test-cluster`: a single-node SLURM cluster (Debian's slurm-wlm + munge) and a two-node Ray
# cluster on this machine, tests/cluster/ run against them, and every daemon stopped afterwards,
# whether the tests pass, fail or are interrupted. Usage: .ci/cluster/run.sh PYTHON
# (PYTHON: the interpreter of the venv with the extras `[dev,ray,slurm]`, .venv-launchers).
#
# Everything (keys, configs, state, logs, sockets, Ray's temp dir) lives in one private folder,
# never in /etc or /tmp/ray, so a SLURM or Ray already on the machine is neither used nor touched;
# each daemon is stopped by its own process id (Ray's by the session it was started in), never
# by name. The folder is removed on success and kept (path printed) when something failed.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { echo "== $(date +%T) $*"; }

PY=${1:?usage: .ci/cluster/run.sh PYTHON (the .venv-launchers interpreter)}
BIN=$(dirname "$PY")
[ -x "$BIN/ray" ] || { echo "error: $BIN/ray not found: install the extras [dev,ray,slurm]" >&2; exit 2; }
# slurmd starts the jobs' processes and munged must own its key: both want root here (CI is root).
[ "$(id -u)" -eq 0 ] || { echo "error: make test-cluster starts slurmd and munged: run it as root" >&2; exit 2; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
  || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge (apt)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

W=$(mktemp -d /tmp/sim-cluster.XXXXXX)
# munged refuses a socket in a folder that not everyone may traverse.
chmod 755 "$W"
mkdir -p "$W/munge" "$W/slurm/state" "$W/slurm/spool"
MUNGED_PID="" SLURMCTLD_PID="" SLURMD_PID=""

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The process ids of one session (Ray's daemons detach from `ray start` but stay in its session).
session_pids() { ps -eo pid=,sid= | awk -v s="$1" '$2 == s { print $1 }'; }

# TERM, then KILL what is still there after `grace` seconds (Ray's gcs_server ignores a TERM
# for over a minute); returns once every given process is gone.
stop_pids() {
  local grace=$1; shift
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  for _ in $(seq $((grace * 5))); do
    local alive=0
    for p in "$@"; do [ -e "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && alive=1; done
    [ $alive -eq 0 ] && return 0
    sleep 0.2
  done
  kill -KILL "$@" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  say "stopping the clusters"
  if [ -n "$SLURMCTLD_PID" ] && [ -e "/proc/$SLURMCTLD_PID" ]; then
    # Jobs left by a failed or interrupted test are cancelled before their daemons go.
    squeue -h -o %i 2>/dev/null | xargs -r scancel 2>/dev/null
    for _ in $(seq 30); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 1; done
  fi
  # Both Ray nodes at once: each can take the whole grace period.
  local ray_pids=()
  for f in "$W"/ray-*.sid; do
    [ -e "$f" ] && mapfile -t -O ${#ray_pids[@]} ray_pids < <(session_pids "$(cat "$f")")
  done
  stop_pids 10 "${ray_pids[@]}"
  stop_pids 10 $SLURMD_PID
  stop_pids 10 $SLURMCTLD_PID
  stop_pids 10 $MUNGED_PID
  wait 2>/dev/null
  # Anything still running from this cluster (its folder in the command line or environment:
  # jobs carry SLURM_CONF, Ray's workers their temp dir) is a leak: kill it and fail.
  local left=()
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = $$ ] && continue
    if grep -qsF "$W" "$d/cmdline" || grep -qsF "$W" "$d/environ"; then left+=("$p"); fi
  done
  if [ ${#left[@]} -gt 0 ]; then
    echo "error: processes left behind by the clusters: ${left[*]}" >&2
    ps -o pid,cmd -p "$(IFS=,; echo "${left[*]}")" >&2
    kill -KILL "${left[@]}" 2>/dev/null
    rc=1
  fi
  if [ $rc -eq 0 ]; then rm -rf "$W"; else say "logs kept in $W" >&2; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_for() {  # wait_for SECONDS WHAT COMMAND...: poll COMMAND until it succeeds
  local secs=$1 what=$2; shift 2
  for _ in $(seq $((secs * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "error: $what not ready after ${secs}s (logs in $W)" >&2
  return 1
}

# --- munge: a private key and socket ------------------------------------------------------
say "starting munged, slurmctld, slurmd (configuration and logs in $W)"
# Each daemon in a session of its own: a Ctrl+C at the terminal reaches the tests but not the
# daemons (which treat SIGINT as shutdown), so cleanup can cancel running jobs in order. Started
# from a non-interactive shell, setsid does not fork: $! is the daemon's own id.
mungekey -c -k "$W/munge/munge.key"
setsid munged -F --socket="$W/munge/munge.socket" --key-file="$W/munge/munge.key" \
  --pid-file="$W/munge/munged.pid" --seed-file="$W/munge/munged.seed" \
  --log-file="$W/munge/munged.log" >"$W/munge/munged.out" 2>&1 &
MUNGED_PID=$!
wait_for 20 munged test -S "$W/munge/munge.socket"

# --- SLURM: one node, this machine, all its cores ---------------------------------------------
NODE=$(hostname -s)
CPUS=$(nproc)
# Configured memory must not exceed what slurmd finds, or the node is drained.
MEM_MB=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
export SLURM_CONF="$W/slurm/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=simtest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$W/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$W/slurm/state
SlurmdSpoolDir=$W/slurm/spool
SlurmctldPidFile=$W/slurm/slurmctld.pid
SlurmdPidFile=$W/slurm/slurmd.pid
SlurmctldLogFile=$W/slurm/slurmctld.log
SlurmdLogFile=$W/slurm/slurmd.log
# No systemd or cgroups needed: track processes by parentage.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# No slurmdbd (so no sacct): finished jobs are recorded in a text file the tests read.
JobCompType=jobcomp/filetxt
JobCompLoc=$W/slurm/jobcomp.log
ReturnToService=2
# A cancelled job's processes get SIGKILL 5 s after SIGTERM (default 30 s): a quick cleanup.
KillWait=5
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=sim Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
setsid slurmctld -D -f "$SLURM_CONF" >"$W/slurm/slurmctld.out" 2>&1 &
SLURMCTLD_PID=$!
setsid slurmd -D -f "$SLURM_CONF" >"$W/slurm/slurmd.out" 2>&1 &
SLURMD_PID=$!
node_idle() { [ "$(sinfo -h -n "$NODE" -o %T)" = idle ]; }
wait_for 60 "the SLURM node (sinfo idle)" node_idle
say "SLURM: slurmctld pid $SLURMCTLD_PID, slurmd pid $SLURMD_PID, SLURM_CONF=$SLURM_CONF"
sinfo

# --- Ray: a head and a second node joining it, one CPU each ---------------------------------
# Ray turns 127.0.0.1 into the machine's own address (services.resolve_ip_for_localhost), so the
# nodes are reached through that address; a token (known only here) guards the cluster.
export RAY_AUTH_MODE=token
RAY_AUTH_TOKEN=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export RAY_AUTH_TOKEN
RAY_PORT=$(free_port)
export SIM_RAY_ADDRESS="127.0.0.1:$RAY_PORT"
# Each node in its own session (its id saved), so that cleanup finds every process it started.
# Two nodes on one host need their own agent ports and worker port ranges.
setsid -w bash -c 'echo $$ >"$0"; exec "$@"' "$W/ray-head.sid" \
  "$BIN/ray" start --head --node-ip-address=127.0.0.1 --port="$RAY_PORT" --num-cpus=1 \
  --object-store-memory=100000000 --include-dashboard=true --dashboard-host=127.0.0.1 \
  --dashboard-port="$(free_port)" --ray-client-server-port="$(free_port)" \
  --dashboard-agent-listen-port="$(free_port)" --min-worker-port=20000 --max-worker-port=20999 \
  --temp-dir="$W/ray-head" --disable-usage-stats >"$W/ray-head.log" 2>&1 \
  || { cat "$W/ray-head.log" >&2; exit 1; }
setsid -w bash -c 'echo $$ >"$0"; exec "$@"' "$W/ray-node2.sid" \
  "$BIN/ray" start --address="$SIM_RAY_ADDRESS" --node-ip-address=127.0.0.1 --num-cpus=1 \
  --object-store-memory=100000000 --dashboard-agent-listen-port="$(free_port)" \
  --min-worker-port=21000 --max-worker-port=21999 \
  --temp-dir="$W/ray-node2" --disable-usage-stats >"$W/ray-node2.log" 2>&1 \
  || { cat "$W/ray-node2.log" >&2; exit 1; }
say "Ray: head at $SIM_RAY_ADDRESS and a second node joined with ray start --address=$SIM_RAY_ADDRESS"
"$BIN/ray" status --address="$SIM_RAY_ADDRESS" | sed -n '/^Active:/,/^Pending:/p'

# --- the tests ----------------------------------------------------------------------------------
say "running tests/cluster"
export SIM_CLUSTER_DIR="$W"
rc=0
"$PY" -m pytest -p no:cacheprovider -rA tests/cluster || rc=$?

say "SLURM's record of the jobs (slurmctld.log: sbatch RPCs; jobcomp.log: finished jobs)"
grep -h '_slurm_rpc_submit_batch_job' "$W/slurm/slurmctld.log" || true
cat "$W/slurm/jobcomp.log" 2>/dev/null || true
say "Ray's record of the drivers that connected to $SIM_RAY_ADDRESS (tasks: in the test's output)"
"$BIN/ray" list jobs --address="$SIM_RAY_ADDRESS" 2>&1 | grep -E 'DRIVER|JOB_ID' || true
exit $rc
