"""Worker processes of a sweep end when the sweep's main process dies.

joblib's workers (loky) and submitit's local jobs are child processes of the process that
runs the sweep. If that process is killed (SIGKILL, the OOM killer, a closed terminal), its
children are re-parented and would finish their current run, for minutes, writing into a
sweep nobody is waiting for. The main process records itself in the environment
(:func:`mark_main_process`, inherited by the children it starts); a worker started by it
watches its parent (:func:`exit_with_main_process`) and exits within :data:`POLL_S` seconds of
its death. The killed run is left ``running`` and redone when the sweep is resumed.

Jobs that do not run as children of the main process (the basic launcher runs them in it;
SLURM and Ray start them elsewhere) are left alone.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time

ENV = "SIM_SWEEP_MAIN_PROCESS"
POLL_S = 0.5
_watching = False


def mark_main_process() -> None:
    """Record this process as a sweep's main process, for the workers it will start."""
    os.environ[ENV] = f"{socket.gethostname()}:{os.getpid()}"


def _main_process() -> tuple[str, int] | None:
    host, _, pid = os.environ.get(ENV, "").rpartition(":")
    return (host, int(pid)) if pid.isdigit() else None


def exit_with_main_process(poll_s: float = POLL_S) -> bool:
    """In a direct child of the sweep's main process, start (once) a daemon thread that ends this
    process when that parent is gone. Returns whether this process is watched."""
    global _watching
    main = _main_process()
    if _watching:
        return True
    if main is None or main[0] != socket.gethostname() or os.getpid() == main[1] or os.getppid() != main[1]:
        return False
    parent = main[1]

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        print(f"[sweep] main process {parent} is gone: worker {os.getpid()} stops", file=sys.stderr, flush=True)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-main-process", daemon=True).start()
    _watching = True
    return True
