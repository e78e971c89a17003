"""``python -m sim.reproduce RUN_DIR``: the same as ``python -m sim.runs.reproduce`` (see there)."""

from __future__ import annotations

import sys

from sim.runs.reproduce import main

if __name__ == "__main__":
    sys.exit(main())
