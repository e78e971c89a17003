#!/usr/bin/env bash
# A local Ray cluster (one head node, this machine's cores) for the cluster tests
# (tests/test_cluster.py) and for trying `hydra/launcher=ray_cluster` (docs/cluster.md).
#
#   bash scripts/start_ray.sh      # then: source /tmp/sim-cluster/ray/env.sh; .venv-ray/bin/python -m sim -m ...
#   bash scripts/stop_ray.sh       # stops what this started, by PID
#
# Ray runs from its own virtualenv, .venv-ray (the `ray` extra of pyproject.toml: ray and
# hydra-ray-launcher, which pins cloudpickle<3; the main .venv has cloudpickle 3 and no Ray),
# created or updated when pyproject.toml is newer. The head (`ray start --head`) listens on
# 127.0.0.1:6379 only: Ray's single-machine mode (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, the
# default on macOS and Windows), which every process that connects to it needs too: env.sh sets
# it and RAY_ADDRESS. Safe to run twice: a head already started by this script is left running.
#
# Files: $SIM_RAY_DIR (default /tmp/sim-cluster/ray): ray-start.out, env.sh, the head's session
# id (stop_ray.sh ends the processes of that session); Ray's own logs: /tmp/ray/session_latest/logs.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${SIM_RAY_DIR:-/tmp/sim-cluster/ray}
VENV=${SIM_RAY_VENV:-.venv-ray}
PORT=6379
ADDRESS=127.0.0.1:$PORT
PYTHON=${PYTHON:-python3}
export RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0

# --- the `ray` extra in its own virtualenv ------------------------------------------------
if [ ! -f "$VENV/.installed" ] || [ pyproject.toml -nt "$VENV/.installed" ]; then
    echo "installing the ray extra into $VENV (pip install -e '.[ray]')"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e '.[ray]'
    touch "$VENV/.installed"
fi

mkdir -p "$DIR"
cat >"$DIR/env.sh" <<EOF
# source me before connecting to the Ray head of scripts/start_ray.sh (single machine, loopback)
export RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0
export RAY_ADDRESS=$ADDRESS
EOF

# the processes of the session the head was started in (by this script), if any is alive
session_pids() {
    local sid
    sid=$(cat "$DIR/session" 2>/dev/null) || return 0
    if [ -n "$sid" ]; then
        ps -o pid=,stat= --sid "$sid" 2>/dev/null | awk '$2 !~ /^Z/ {print $1}' || true
    fi
}

if [ -n "$(session_pids)" ] && "$VENV/bin/ray" status --address="$ADDRESS" >/dev/null 2>&1; then
    echo "Ray head already running at $ADDRESS (session $(cat "$DIR/session"))"
    exit 0
fi
if [ -n "$(session_pids)" ]; then # a head of ours that does not answer: end it first
    bash scripts/stop_ray.sh
fi

# `ray start` leaves its daemons (GCS, raylet, dashboard, ...) behind: start it as the leader of
# a new session, so that they outlive this shell and stop_ray.sh can find them by session id.
# shellcheck disable=SC2016
setsid --wait bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$DIR/session" \
    "$VENV/bin/ray" start --head --node-ip-address=127.0.0.1 --port="$PORT" --num-cpus="$(nproc)" \
    --dashboard-host=127.0.0.1 --disable-usage-stats >"$DIR/ray-start.out" 2>&1 </dev/null || {
    tail -n 30 "$DIR/ray-start.out" >&2
    echo "ray start failed: $DIR/ray-start.out" >&2
    exit 1
}
for _ in $(seq 100); do
    if "$VENV/bin/ray" status --address="$ADDRESS" >/dev/null 2>&1; then
        echo "Ray head up at $ADDRESS ($(nproc) CPUs, processes: $(session_pids | tr '\n' ' '))"
        echo "connect: source $DIR/env.sh; stop: bash scripts/stop_ray.sh"
        exit 0
    fi
    sleep 0.3
done
echo "Ray head did not answer at $ADDRESS; see $DIR/ray-start.out and /tmp/ray/session_latest/logs" >&2
exit 1
