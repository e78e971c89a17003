"""Where the time goes: pyinstrument over one model's set-up and run.

python -m benchmarks.profile                      # default scale, a year
python -m benchmarks.profile scale=large days=30  # any override strings
python -m benchmarks.profile --html out.html scale=small
"""

from __future__ import annotations

import argparse
import sys

from pyinstrument import Profiler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile TrustModel set-up and run with pyinstrument.")
    parser.add_argument("overrides", nargs="*", default=["scale=default", "days=365"])
    parser.add_argument("--html", help="also write pyinstrument's interactive HTML report here")
    parser.add_argument("--interval", type=float, default=0.001, help="sampling interval in seconds")
    args = parser.parse_args(argv)

    from sim.engine.model import TrustModel
    from sim.runs.api import compose

    config = compose(args.overrides)
    profiler = Profiler(interval=args.interval)
    profiler.start()
    TrustModel(config).run()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    if args.html:
        with open(args.html, "w") as fh:
            fh.write(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
