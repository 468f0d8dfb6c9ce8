#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests and CI (run as root; no systemd needed).
#
#   scripts/slurm_local.sh up       install Debian's slurmctld, slurmd, slurm-client and munge if
#                                   missing, write /etc/slurm/slurm.conf and gres.conf, start
#                                   munged, slurmctld and slurmd, wait for the node to be idle
#   scripts/slurm_local.sh down     cancel all jobs, stop what `up` started (by pid files), remove
#                                   the config it wrote (so that Slurm clients fail at once
#                                   instead of waiting for a controller)
#   scripts/slurm_local.sh status   sinfo and squeue
#
# The node declares at least 8 CPUs and 32 GB (more if the machine has them), so that jobs
# sized by profiles/slurm schedule on a small CI machine too (nothing enforces the limits
# here: no cgroups), and one fake GPU (gres with File=/dev/null): jobs that ask for --gpus get
# scheduled and see CUDA_VISIBLE_DEVICES=0, and TensorFlow, finding no device, runs on the CPU. There is no accounting (no slurmdbd): sacct does not work, so
# Snakemake must use `--slurm-status-command squeue`, which MinJobAge=300 makes reliable.
set -euo pipefail

STATE=${SLURM_LOCAL_STATE:-/var/lib/slurm-local}
CONF_DIR=/etc/slurm
MARK="# written by scripts/slurm_local.sh"
MUNGE_RUN=/run/munge

die() { echo "slurm_local: $*" >&2; exit 1; }

ours() {  # is the file ours (or absent)?
    [[ ! -e $1 ]] || head -n1 "$1" | grep -qxF "$MARK"
}

alive() {  # pid file -> running?
    [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

stop_pidfile() {  # stop the process of a pid file: TERM, then KILL after 10 s
    local file=$1 pid i
    [[ -s $file ]] || return 0
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

install_packages() {
    local missing=()
    for package in slurmctld slurmd slurm-client munge; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    echo "slurm_local: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

write_config() {
    local host cpus mem
    host=$(hostname -s)
    cpus=$(nproc)
    ((cpus >= 8)) || cpus=8
    mem=$(awk '/^MemTotal:/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
    ((mem >= 32000)) || mem=32000
    mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/d"
    cat >"$CONF_DIR/slurm.conf" <<EOF
$MARK
ClusterName=shamlocal
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# Finished jobs stay visible to squeue for 5 minutes, well above the status-check interval.
MinJobAge=300
ReturnToService=2
# Trust CPUs and RealMemory below even where the machine has fewer (else the node drains).
SlurmdParameters=config_overrides
GresTypes=gpu
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:1 State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    # Without File= the node is INVAL; /dev/null stands in for the device.
    printf '%s\nName=gpu File=/dev/null\n' "$MARK" >"$CONF_DIR/gres.conf"
}

up() {
    [[ $(id -u) -eq 0 ]] || die "run as root"
    ours "$CONF_DIR/slurm.conf" || die "$CONF_DIR/slurm.conf exists and was not written by this script; not touching it"
    install_packages
    if alive "$STATE/slurmctld.pid" && alive "$STATE/slurmd.pid"; then
        echo "slurm_local: already up"; return 0
    fi
    write_config

    mkdir -p "$MUNGE_RUN"
    chown munge:munge "$MUNGE_RUN"
    chmod 0755 "$MUNGE_RUN"
    if ! alive "$MUNGE_RUN/munged.pid"; then
        runuser -u munge -- /usr/sbin/munged
        cp "$MUNGE_RUN/munged.pid" "$STATE/munged.pid"   # marks munged as ours, for `down`
    fi

    alive "$STATE/slurmctld.pid" || slurmctld -c    # -c: start without saved state (old jobs)
    alive "$STATE/slurmd.pid" || slurmd

    local i state
    for i in $(seq 60); do
        state=$(sinfo -h -o %t 2>/dev/null || true)
        case $state in
            idle*|mix*|alloc*) echo "slurm_local: up ($(sinfo -h -o '%n %c CPUs %m MB %G'))"; return 0 ;;
            drain*|inval*|down*) scontrol update nodename="$(hostname -s)" state=resume 2>/dev/null || true ;;
        esac
        sleep 0.5
    done
    echo "slurm_local: the node did not become idle (state: ${state:-no answer}); logs under $STATE" >&2
    tail -n 20 "$STATE/slurmctld.log" "$STATE/slurmd.log" >&2 || true
    down
    exit 1
}

down() {
    [[ $(id -u) -eq 0 ]] || die "run as root"
    ours "$CONF_DIR/slurm.conf" || die "$CONF_DIR/slurm.conf was not written by this script; not touching it"
    if alive "$STATE/slurmctld.pid"; then
        # Cancel every job, and wait (at most 15 s) for their steps to end.
        scancel --quiet --user "$(id -un)" 2>/dev/null || true
        squeue -h -o %A 2>/dev/null | xargs -r scancel --quiet 2>/dev/null || true
        local i
        for i in $(seq 30); do
            [[ -z $(squeue -h -t running,completing -o %A 2>/dev/null) ]] && break
            sleep 0.5
        done
    fi
    stop_pidfile "$STATE/slurmd.pid"
    stop_pidfile "$STATE/slurmctld.pid"
    # A job step outliving slurmd (it daemonizes) would keep running: end those of our node.
    local pid
    for pid in $(pgrep -x slurmstepd || true); do kill -9 "$pid" 2>/dev/null || true; done
    if [[ -s $STATE/munged.pid ]]; then
        stop_pidfile "$STATE/munged.pid"
        rm -f "$MUNGE_RUN/munged.pid"
    fi
    rm -f "$CONF_DIR/slurm.conf" "$CONF_DIR/gres.conf"
    echo "slurm_local: down"
}

status() {
    sinfo && squeue
}

case ${1:-} in
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
