"""The SLURM launcher of the sweeps (``hydra/launcher=slurm``).

hydra-submitit-launcher 1.2.0's ``SlurmLauncher`` with two changes a sweep of thousands of runs
needs:

* **It waits for every job.** The plugin collects the jobs' results in order and stops at the
  first job that ended without one (killed by a signal before its handlers were up, by the
  out-of-memory killer, with its node): the command then ends with a traceback while the other
  jobs still run, and the sweep's tally (:class:`sim.runs.sweep.SweepCallback`) is never printed.
  Here such a job is logged with SLURM's state and error stream, and counted like a run that
  failed inside (its runs are left ``running`` or never started; the tally names them, and running
  the same command again redoes them only).
* **It refuses a time limit its own warning signal cannot fit.** submitit asks SLURM for SIGUSR2
  ``signal_delay_s`` before the time limit; slurmctld sends it at its next periodic check (every
  30 s) once the remaining time is below that. With less than 30 s between the job's start and
  that moment, SIGUSR2 can reach the job's Python before it has installed any handler, and its
  default action kills the job without a result. ``timeout_min * 60 - signal_delay_s >= 30`` is
  therefore checked before anything is submitted.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, filter_overrides
from hydra_plugins.hydra_submitit_launcher import submitit_launcher
from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf
from omegaconf import OmegaConf

log = logging.getLogger(__name__)

# slurmctld looks for jobs to warn (``--signal``) at this period (PERIODIC_TIMEOUT in its source)
SLURM_CHECK_PERIOD_S = 30


def check_time_limit(timeout_min: float, signal_delay_s: float) -> None:
    """Refuse a SLURM time limit that leaves the warning signal no time after start-up."""
    spare = timeout_min * 60 - signal_delay_s
    if spare < SLURM_CHECK_PERIOD_S:
        raise ValueError(
            f"hydra.launcher.timeout_min={timeout_min} with hydra.launcher.signal_delay_s={signal_delay_s}: "
            f"SIGUSR2 would come {spare:.0f} s after the job starts, and a signal within "
            f"{SLURM_CHECK_PERIOD_S} s of the start can kill it before it runs; allowed: "
            f"timeout_min * 60 - signal_delay_s >= {SLURM_CHECK_PERIOD_S} (raise timeout_min or lower signal_delay_s)"
        )


def job_outcome(job, overrides: Sequence[str]) -> JobReturn:
    """The job's Hydra result; for a job that ended without one, a record saying so."""
    import submitit

    try:
        return job.results()[0]
    except submitit.core.utils.UncompletedJobError as err:
        message = f"SLURM job {job.job_id} ended without a result (state {job.state}): {err}"
        # on stderr beside the sweep's own messages (Hydra's log goes to stdout and a file)
        print(f"[sweep] {message}\n[sweep] its overrides: {' '.join(filter_overrides(overrides))}", file=sys.stderr)
        ret = JobReturn(overrides=list(overrides), status=JobStatus.COMPLETED)
        # COMPLETED for Hydra, which would otherwise stop the sweep before its tally; the
        # failure is counted there, from the run directories this job did not complete
        ret.return_value = {"status": "failed", "error": message}
        return ret


class SlurmLauncher(submitit_launcher.SlurmLauncher):
    """See the module's docstring."""

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        import submitit

        assert self.config is not None and job_overrides
        check_time_limit(self.params["timeout_min"], self.params["signal_delay_s"])
        # the executor and its parameters exactly as hydra-submitit-launcher 1.2.0 builds them
        init_keys = {"max_num_timeout", "submitit_folder"}
        executor = submitit.AutoExecutor(
            cluster=self._EXECUTOR,
            folder=self.params["submitit_folder"],
            **{f"{self._EXECUTOR}_max_num_timeout": self.params["max_num_timeout"]},
        )
        base = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(
            **{k if k in base else f"{self._EXECUTOR}_{k}": v for k, v in self.params.items() if k not in init_keys}
        )
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        if "mode" in self.config.hydra.sweep:
            os.chmod(sweep_dir, mode=int(str(self.config.hydra.sweep.mode), 8))
        log.info(f"Submitit '{self._EXECUTOR}' sweep output dir : {sweep_dir}")
        job_params = []
        for idx, overrides in enumerate(job_overrides, start=initial_job_idx):
            log.info(f"\t#{idx} : {' '.join(filter_overrides(overrides))}")
            job_params.append((list(overrides), "hydra.sweep.dir", idx, f"job_id_for_{idx}", Singleton.get_state()))
        jobs = executor.map_array(self, *zip(*job_params, strict=True))
        return [job_outcome(job, overrides) for job, overrides in zip(jobs, job_overrides, strict=True)]
