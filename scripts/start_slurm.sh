#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for the cluster tests (tests/test_cluster.py) and for
# trying `hydra/launcher=slurm` before a real cluster (docs/cluster.md).
#
#   bash scripts/start_slurm.sh     # then: sinfo, sbatch, sacct; .venv/bin/python -m pytest -m cluster
#   bash scripts/stop_slurm.sh      # stops what this started, by PID
#
# Installs Debian's packages if missing (slurm-wlm, slurmdbd, munge, mariadb-server), writes
# /etc/slurm/slurm.conf and slurmdbd.conf (the standard place, so that sinfo, sbatch, sacct and
# submitit find them without SLURM_CONF; a configuration this script did not write is never
# replaced), starts in the background: munged (unless one already answers), MariaDB (its own data
# directory, unix socket only), slurmdbd, slurmctld and slurmd, and waits until sinfo shows the
# node idle. Safe to run twice: daemons already running are left as they are.
#
# Cluster `sim`, one partition `compute` (the default): this machine, its cores, 90 % of its
# memory; jobs without --mem get 1 GB per CPU. All traffic stays on 127.0.0.1.
# Accounting (sacct): slurmdbd with MariaDB. The lighter jobcomp/filetxt (read by `sacct -c`)
# does not feed plain `sacct`, which submitit polls to notice a job that ended without a result.
#
# Logs, state, database and PID files: $SIM_SLURM_DIR (default /tmp/sim-cluster/slurm):
#   logs/slurmctld.log, logs/slurmd.log, logs/slurmdbd.log, logs/mariadbd.log, logs/*.out
set -euo pipefail

DIR=${SIM_SLURM_DIR:-/tmp/sim-cluster/slurm}
CLUSTER=sim
PARTITION=compute
CONF_DIR=/etc/slurm
MARK="# written by scripts/start_slurm.sh (doctor-patient-trust); replaced on its next run"

if [ "$(id -u)" -ne 0 ]; then
    exec sudo -E bash "$0" "$@"
fi

# --- packages ---------------------------------------------------------------------------
need=()
command -v slurmctld >/dev/null 2>&1 || need+=(slurm-wlm)
command -v slurmdbd >/dev/null 2>&1 || need+=(slurmdbd)
command -v munged >/dev/null 2>&1 || need+=(munge)
command -v mariadbd >/dev/null 2>&1 || need+=(mariadb-server)
if [ ${#need[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "no apt-get: install ${need[*]} with your system's package manager" >&2
        exit 1
    fi
    echo "installing ${need[*]} (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

mkdir -p "$DIR/logs" "$DIR/state/slurmctld" "$DIR/state/slurmd"
LOGS=$DIR/logs

# running NAME: the daemon this script started as NAME is alive (its PID file names a live
# process of that name)
running() {
    local pid
    pid=$(cat "$DIR/$1.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] && ! grep -q '^State:.*zombie' "/proc/$pid/status"
}

# start NAME COMMAND...: COMMAND in the background in a session of its own (it outlives this
# shell and its process group), output in logs/NAME.out, PID in NAME.pid
start() {
    local name=$1
    shift
    if running "$name"; then
        echo "$name already running (PID $(cat "$DIR/$name.pid"))"
        return 0
    fi
    setsid "$@" >>"$LOGS/$name.out" 2>&1 </dev/null &
    echo $! >"$DIR/$name.pid"
    echo "started $name (PID $!)"
}

# wait_for WHAT SECONDS COMMAND...: until COMMAND succeeds, or fail naming the log to read
wait_for() {
    local what=$1 seconds=$2
    shift 2
    for _ in $(seq "$((seconds * 5))"); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    echo "timed out after ${seconds}s waiting for $what; logs in $LOGS" >&2
    exit 1
}

# --- configuration ----------------------------------------------------------------------
write_conf() { # write_conf FILE MODE: stdin into FILE unless a configuration not ours is there
    local file=$1 mode=$2 tmp
    if [ -e "$file" ] && ! grep -qF "$MARK" "$file"; then
        echo "$file exists and was not written by this script: this machine has a SLURM" >&2
        echo "configuration of its own; use that cluster (docs/cluster.md)" >&2
        exit 1
    fi
    tmp=$(mktemp)
    cat >"$tmp"
    if [ -e "$file" ] && cmp -s "$tmp" "$file"; then
        rm -f "$tmp"
        return 0
    fi
    install -D -m "$mode" "$tmp" "$file"
    rm -f "$tmp"
    echo "wrote $file"
    if running slurmctld; then
        echo "warning: slurmctld was started with the previous $file; restart: bash scripts/stop_slurm.sh && bash $0" >&2
    fi
}

HOST=$(hostname -s)
# this machine as slurmd sees it (CPUs, sockets, cores, threads, memory), 90 % of the memory
read -r -a NODE <<<"$(slurmd -C | head -n 1)"
NODE_LINE=""
for field in "${NODE[@]}"; do
    case $field in
    NodeName=*) ;;
    RealMemory=*) NODE_LINE+=" RealMemory=$((${field#RealMemory=} * 9 / 10))" ;;
    *) NODE_LINE+=" $field" ;;
    esac
done

write_conf "$CONF_DIR/slurm.conf" 0644 <<EOF
$MARK
# One node: this machine ($HOST), logs in $LOGS. Stop: bash scripts/stop_slurm.sh
ClusterName=$CLUSTER
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state/slurmctld
SlurmdSpoolDir=$DIR/state/slurmd
SlurmctldPidFile=$DIR/state/slurmctld.pidfile
SlurmdPidFile=$DIR/state/slurmd.pidfile
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
# no cgroups needed (containers): processes tracked by parentage
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
ReturnToService=2
# SIGTERM on scancel and at the time limit, SIGKILL this many seconds later
KillWait=30
JobAcctGatherType=jobacct_gather/linux
# memory (sacct MaxRSS) sampled every 5 s: short runs get a figure too
JobAcctGatherFrequency=task=5
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
NodeName=$HOST NodeAddr=127.0.0.1$NODE_LINE State=UNKNOWN
PartitionName=$PARTITION Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

DB=$DIR/mariadb
SOCKET=$DB/mysqld.sock
write_conf "$CONF_DIR/slurmdbd.conf" 0600 <<EOF
$MARK
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=root
PidFile=$DIR/state/slurmdbd.pidfile
LogFile=$LOGS/slurmdbd.log
StorageType=accounting_storage/mysql
# MariaDB on the unix socket $SOCKET (MYSQL_UNIX_PORT), as root by socket authentication
StorageHost=localhost
StorageUser=root
StorageLoc=slurm_acct_db
EOF

# --- munge ------------------------------------------------------------------------------
munge_ok() { munge -n | unmunge; }
if running munged || ! munge_ok >/dev/null 2>&1; then
    if [ ! -s /etc/munge/munge.key ]; then
        mungekey --create --keyfile=/etc/munge/munge.key
        chown munge:munge /etc/munge/munge.key
        chmod 0400 /etc/munge/munge.key
    fi
    install -d -o munge -g munge -m 0755 /run/munge
    start munged setpriv --reuid=munge --regid=munge --clear-groups -- /usr/sbin/munged --foreground
    wait_for munged 20 munge_ok
else
    echo "munged already running (not started by this script)"
fi

# --- MariaDB for slurmdbd ---------------------------------------------------------------
install -d -o mysql -g mysql -m 0750 "$DB" "$DB/data"
if [ ! -d "$DB/data/mysql" ]; then
    mariadb-install-db --no-defaults --user=mysql --datadir="$DB/data" --auth-root-authentication-method=socket \
        --skip-test-db >"$LOGS/mariadb-install.out" 2>&1
fi
start mariadbd mariadbd --no-defaults --user=mysql --datadir="$DB/data" --socket="$SOCKET" --skip-networking \
    --pid-file="$DB/mariadbd.pidfile" --log-error="$LOGS/mariadbd.log" \
    --innodb-buffer-pool-size=256M --innodb-lock-wait-timeout=900
wait_for MariaDB 60 mariadb-admin --socket="$SOCKET" ping

# --- slurmdbd, slurmctld, slurmd -------------------------------------------------------
start slurmdbd env MYSQL_UNIX_PORT="$SOCKET" slurmdbd -D
wait_for slurmdbd 60 sacctmgr --noheader list cluster
if ! sacctmgr --noheader --parsable2 list cluster format=cluster | grep -qx "$CLUSTER"; then
    sacctmgr --immediate add cluster "$CLUSTER" >/dev/null
fi
start slurmctld slurmctld -D
wait_for slurmctld 60 scontrol ping
start slurmd slurmd -D
node_idle() { sinfo --noheader --nodes="$HOST" --format=%t | grep -qx idle; }
wait_for "node $HOST idle (sinfo)" 90 node_idle

sinfo
echo "SLURM cluster '$CLUSTER' up: partition $PARTITION on $HOST; logs in $LOGS; stop: bash scripts/stop_slurm.sh"
