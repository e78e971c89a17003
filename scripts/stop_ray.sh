#!/usr/bin/env bash
# Stops the Ray head of scripts/start_ray.sh: ends, by PID, the processes of the session that
# script started it in, in the order `ray stop` uses (raylet; then the dashboard, agents and
# workers; GCS last), SIGTERM first, SIGKILL after 10 s. Safe to run twice; Ray processes not
# started by that script are left alone.
set -euo pipefail

DIR=${SIM_RAY_DIR:-/tmp/sim-cluster/ray}

sid=$(cat "$DIR/session" 2>/dev/null) || {
    echo "no Ray head started by scripts/start_ray.sh"
    exit 0
}
# the live (not zombie) processes of the head's session, with their names
pids() { ps -o pid=,stat=,comm= --sid "$sid" 2>/dev/null | awk '$2 !~ /^Z/ {print $1, $3}' || true; }
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*zombie' "/proc/$1/status" 2>/dev/null; }

stop_group() { # stop_group PID...: SIGTERM, up to 10 s, then SIGKILL
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    for _ in $(seq 50); do
        local left=()
        for pid in "$@"; do alive "$pid" && left+=("$pid"); done
        [ ${#left[@]} -eq 0 ] && return 0
        sleep 0.2
    done
    echo "still running after 10 s, SIGKILL: ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null || true
}

mapfile -t procs < <(pids)
if [ ${#procs[@]} -eq 0 ]; then
    echo "Ray head (session $sid) not running"
else
    raylet=() others=() gcs=()
    for line in "${procs[@]}"; do
        case ${line#* } in
        raylet) raylet+=("${line%% *}") ;;
        gcs_server) gcs+=("${line%% *}") ;;
        *) others+=("${line%% *}") ;;
        esac
    done
    stop_group "${raylet[@]}"
    stop_group "${others[@]}"
    stop_group "${gcs[@]}"
    echo "stopped the Ray head (session $sid, PIDs ${raylet[*]} ${others[*]} ${gcs[*]})"
fi
rm -f "$DIR/session"
