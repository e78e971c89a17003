"""What the model's observers and a watch of residents cost: ``python -m benchmarks.watch``.

A default-scale year (pre-reform baseline, after the burn-in) stepped in four ways, interleaved
and repeated; the CPU time of this process (``time.process_time``: less sensitive to other
work on a shared machine than wall time) of ``model.run(365)``:

- ``old``: the day as it was before the observer hooks (``TrustModel.step`` without them);
- ``new``: the day with the hooks and no observer (every ordinary run);
- ``watchN``: with a :class:`~sim.engine.watch.Watch` of N residents spread over the population.

    python -m benchmarks.watch                        # old,new,watch165,watch1000; 5 repeats; default scale
    python -m benchmarks.watch --modes old,new --repeats 9 --scale small
"""

from __future__ import annotations

import argparse
import json
import logging
import time

from sim.config.compose import compose
from sim.engine.model import TrustModel
from sim.engine.watch import Watch
from sim.engine.world import check_finite


class WithoutHooks(TrustModel):
    """The day as it was before the observer hooks (a copy of ``TrustModel.step`` without them)."""

    def step(self) -> None:
        world = self.world
        if world.day in self._change_days:
            world.levers = self.policies.levers_on(world.day)
        world.ledger.new_day()
        for mechanism in self.mechanisms.values():
            mechanism.start_day(world)
        for mechanism in self.mechanisms.values():
            mechanism.step(world)
        check_finite(world)
        self.sync_agents()
        world.ledger.close_day()
        if world.day >= 0:
            self.datacollector.collect(self)
        world.day += 1


def one_year(mode: str, scale: str, days: int) -> float:
    model = (WithoutHooks if mode == "old" else TrustModel)(compose([f"scale={scale}", "seed=0"])).burn_in()
    if mode.startswith("watch"):
        n = model.patients.n
        Watch.attach(model, range(0, n, max(1, n // int(mode.removeprefix("watch")))))
    started = time.process_time()
    model.run(days)
    return time.process_time() - started


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="old,new,watch165,watch1000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scale", default="default")
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args(argv)
    logging.getLogger("MESA").setLevel(logging.WARNING)
    modes = args.modes.split(",")
    times: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(args.repeats):
        for mode in modes:
            times[mode].append(one_year(mode, args.scale, args.days))
    result = {m: {"min_s": round(min(t), 3), "median_s": round(sorted(t)[len(t) // 2], 3)} for m, t in times.items()}
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
