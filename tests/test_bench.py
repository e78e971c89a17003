"""The benchmark's repeated measurements (``benchmarks/bench.py --repeat``): the median run is kept
and every run is reported."""

from __future__ import annotations

import pytest

from benchmarks.bench import main, middle, table


def test_the_median_run_is_kept_with_every_run_recorded():
    runs = [{"wall_s": w, "peak_rss_mb": m} for w, m in ((5.0, 1), (3.0, 2), (4.0, 3))]
    kept = middle(runs, "wall_s")
    assert (kept["wall_s"], kept["peak_rss_mb"]) == (4.0, 3)  # the whole median run, not a mix
    assert kept["repeats"] == [5.0, 3.0, 4.0]
    assert "repeats" not in middle(runs[:1], "wall_s")  # a single run is reported as before


def test_the_table_lists_each_command_run_beside_the_baseline_runs():
    this = middle(
        [{"overrides": ["scale=default"], "wall_s": w, "cpu_s": w, "peak_rss_mb": 300} for w in (3.5, 3.7, 3.6)],
        "wall_s",
    )
    base = middle(
        [{"overrides": ["scale=default"], "wall_s": w, "cpu_s": w, "peak_rss_mb": 300} for w in (4.4, 4.2, 4.3)],
        "wall_s",
    )
    text = table(
        {"commands": {"default": this}, "baseline": {"ref": "abc", "commit": "abc1234", "commands": {"default": base}}}
    )
    assert "median of 3 runs" in text
    assert "3.50 3.70 3.60 | base 4.40 4.20 4.30" in text
    assert "1.19x" in text  # 4.3 / 3.6: the medians' ratio


def test_a_repeat_below_one_is_refused_naming_the_option(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--repeat", "0", "--skip", "small,default,large,commands,agents,reference,sweep"])
    assert stop.value.code == 2
    assert "--repeat must be a whole number of runs, at least 1 (got 0)" in capsys.readouterr().err
