#!/usr/bin/env bash
# Stops the one-node SLURM cluster of scripts/start_slurm.sh: cancels the jobs still on it, then
# ends the daemons that script started, by the PIDs it recorded (slurmd, slurmctld, slurmdbd,
# MariaDB, munged if it started one). The configuration, the job history (sacct) and the logs stay
# in $SIM_SLURM_DIR (default /tmp/sim-cluster/slurm) for the next start. Safe to run twice.
set -euo pipefail

DIR=${SIM_SLURM_DIR:-/tmp/sim-cluster/slurm}

if [ "$(id -u)" -ne 0 ]; then
    exec sudo -E bash "$0" "$@"
fi

alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*zombie' "/proc/$1/status" 2>/dev/null; }

pid_of() { # pid_of NAME: the PID this cluster's NAME runs as, if alive
    local pid
    pid=$(cat "$DIR/$1.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] && alive "$pid" && echo "$pid"
}

if pid_of slurmctld >/dev/null && scontrol ping >/dev/null 2>&1; then
    jobs=$(squeue --noheader --format=%A)
    if [ -n "$jobs" ]; then
        echo "cancelling jobs: ${jobs//$'\n'/ }"
        # shellcheck disable=SC2086
        scancel $jobs || true
        for _ in $(seq 200); do # KillWait (30 s) and a margin
            [ -z "$(squeue --noheader --format=%A)" ] && break
            sleep 0.2
        done
    fi
fi

for name in slurmd slurmctld slurmdbd mariadbd munged; do
    if pid=$(pid_of "$name"); then
        kill -TERM "$pid"
        for _ in $(seq 150); do
            alive "$pid" || break
            sleep 0.2
        done
        if alive "$pid"; then
            echo "$name (PID $pid) still running after 30 s: SIGKILL"
            kill -KILL "$pid" || true
        fi
        echo "stopped $name (PID $pid)"
    fi
    rm -f "$DIR/$name.pid"
done
