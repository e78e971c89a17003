"""Where the time goes: pyinstrument over one model's set-up and run.

python -m benchmarks.profile                      # default scale, a year
python -m benchmarks.profile scale=large days=30  # any override strings
python -m benchmarks.profile --html out.html scale=small
python -m benchmarks.profile --by-mechanism scenario=china_2006_2019 scale=small   # seconds per mechanism

``--by-mechanism`` times each mechanism's step through the model's observer hooks
(``TrustModel.observers``: told when a day starts and after each mechanism) instead of sampling:
no profiler overhead, so the seconds add up to the run's, but no detail inside a mechanism.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from pyinstrument import Profiler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile TrustModel set-up and run with pyinstrument.")
    parser.add_argument("overrides", nargs="*", default=["scale=default", "days=365"])
    parser.add_argument("--html", help="also write pyinstrument's interactive HTML report here")
    parser.add_argument("--interval", type=float, default=0.001, help="sampling interval in seconds")
    parser.add_argument(
        "--by-mechanism", action="store_true", help="seconds per mechanism (observer hooks), no sampling"
    )
    args = parser.parse_args(argv)

    from sim.engine.model import TrustModel
    from sim.runs.api import compose

    config = compose(args.overrides)
    if args.by_mechanism:
        print(by_mechanism(TrustModel(config)))
        return 0
    profiler = Profiler(interval=args.interval)
    profiler.start()
    TrustModel(config).run()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    if args.html:
        with open(args.html, "w") as fh:
            fh.write(profiler.output_html())
    return 0


class MechanismTimer:
    """An observer (``TrustModel.observers``) adding up the wall time of each mechanism's step,
    and of the day's end (the finiteness check, the agents' sync, the collector)."""

    def __init__(self):
        self.seconds: Counter[str] = Counter()
        self.days = 0
        self._last = 0.0

    def start_day(self, world) -> None:
        self._last = time.perf_counter()

    def after(self, mechanism: str, world) -> None:
        now = time.perf_counter()
        self.seconds[mechanism] += now - self._last
        self._last = now

    def end_day(self, world) -> None:
        self.seconds["(end of the day: checks, agents, collector)"] += time.perf_counter() - self._last
        self.days += 1


def by_mechanism(model) -> str:
    """Run ``model`` (burn-in included) and tabulate the seconds each mechanism took."""
    timer = MechanismTimer()
    model.observers.append(timer)
    started = time.perf_counter()
    model.run()
    total = time.perf_counter() - started
    rows = [
        *timer.seconds.most_common(),
        ("(the rest: set-up, the day's levers, the ledger)", total - timer.seconds.total()),
    ]
    lines = [
        f"{timer.days} days stepped (burn-in included), {total:.2f} s",
        f"{'':48s} {'s':>7s} {'ms/day':>7s} {'share':>6s}",
    ]
    for name, seconds in rows:
        lines.append(f"{name:48s} {seconds:7.2f} {1e3 * seconds / max(timer.days, 1):7.3f} {seconds / total:6.1%}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
