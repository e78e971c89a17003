"""Each figure function writes a non-empty PDF and PNG from tidy tables (synthetic, no simulation)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from sim.analysis import plots
from sim.analysis.stats import paired_effects

ARMS = ["baseline", "insurance", "tiered_care+mediation+insurance", "all_policies"]
SEEDS = range(4)
DAYS = 60


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(0)
    results, series, trust = [], [], []
    for a, arm in enumerate(ARMS):
        for seed in SEEDS:
            run_id = f"{arm}-{seed}"
            results.append(
                {
                    "run_id": run_id,
                    "status": "completed",
                    "arm": arm,
                    "seed": seed,
                    "n_hospitals": 2,
                    "disputes_per_hospital_year": 50 - 10 * a + rng.normal(),
                    "violent_incidents_per_hospital_year": 5 - a + rng.normal(),
                    "mean_trust": 0.6 + 0.02 * a,
                }
            )
            series.append(
                pd.DataFrame(
                    {
                        "run_id": run_id,
                        "arm": arm,
                        "seed": seed,
                        "day": np.arange(DAYS),
                        "disputes_hospital": rng.poisson(0.3, DAYS),
                        "violent_incidents_hospital": rng.poisson(0.03, DAYS),
                        "mean_trust": 0.6 + 0.001 * a * np.arange(DAYS),
                    }
                )
            )
            counts = rng.multinomial(1000, np.full(40, 1 / 40))
            edges = np.linspace(0, 1, 41)
            trust.append(
                pd.DataFrame(
                    {
                        "run_id": run_id,
                        "arm": arm,
                        "seed": seed,
                        "bin_left": edges[:-1],
                        "bin_right": edges[1:],
                        "trust": counts,
                    }
                )
            )
    return pd.DataFrame(results), pd.concat(series, ignore_index=True), pd.concat(trust, ignore_index=True)


def assert_written(paths):
    assert [p.suffix for p in paths] == [".pdf", ".png"]
    for p in paths:
        assert p.stat().st_size > 1000


def test_forest_plot(tables, tmp_path):
    results, _, _ = tables
    effects = paired_effects(results, ["disputes_per_hospital_year", "violent_incidents_per_hospital_year"])
    assert_written(plots.forest_plot(effects, tmp_path / "forest"))


def test_timeseries_plot_with_a_reform_mark(tables, tmp_path):
    results, series, _ = tables
    assert_written(plots.timeseries_plot(series, results, tmp_path / "ts", marks={"reform": 30}))


def test_trust_distribution_plot(tables, tmp_path):
    _, _, trust = tables
    assert_written(plots.trust_distribution_plot(trust, tmp_path / "trust", arms=["baseline", "all_policies"]))


def test_dose_response_plot(tables, tmp_path):
    results, _, _ = tables
    dose = results[results["arm"].isin(["baseline", "insurance"])].copy()
    levels = pd.concat(
        [dose[dose["arm"] == "insurance"].assign(**{"policies.insurance.coverage": c}) for c in (0.4, 0.7, 1.0)]
    )
    frame = pd.concat([dose[dose["arm"] == "baseline"], levels], ignore_index=True)
    assert_written(plots.dose_response_plot(frame, tmp_path / "dose"))


def test_interaction_heatmap(tables, tmp_path):
    results, _, _ = tables
    grid = pd.concat(
        [
            results.assign(**{"policies.insurance.coverage": x, "policies.mediation.mediators_per_100k": y})
            for x in (0.4, 1.0)
            for y in (1, 6)
        ],
        ignore_index=True,
    )
    paths = plots.interaction_heatmap(
        grid, tmp_path / "heat", x="policies.insurance.coverage", y="policies.mediation.mediators_per_100k"
    )
    assert_written(paths)


def test_arm_names_are_readable():
    assert plots.arm_name("baseline") == "Pre-reform baseline"
    assert plots.arm_name("tiered_care+mediation+insurance") == "Tiered care + Mediation centres + Insurance coverage"
    assert plots.arm_name("insurance+legal_deterrence@day365") == "Insurance coverage + Legal deterrence from day 365"


# ------------------------------------------------------------------------------------------------
# what every figure says, and moving means without a spike at day 0
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def captured(monkeypatch):
    """The figures the plot functions save (instead of writing them)."""
    figures = []

    def keep(fig, path):
        figures.append(fig)
        return [path]

    monkeypatch.setattr(plots, "save", keep)
    return figures


def all_text(fig) -> str:
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    return " ".join(t for t in texts if t)


def test_every_figure_says_n_the_interval_the_scale_and_the_days(tables, captured):
    results, series, trust = tables
    results = results.assign(n_patients=50_000, days=DAYS)  # as sim.runs.collect gives them
    effects = paired_effects(results, ["disputes_per_hospital_year", "violent_incidents_per_hospital_year"])
    plots.forest_plot(effects, "f", results=results)
    plots.timeseries_plot(series, results, "t", window=10)
    plots.trust_distribution_plot(trust, "d", results=results)
    dose = results.assign(**{"policies.insurance.coverage": np.where(results["arm"] == "baseline", np.nan, 0.5)})
    dose.loc[dose.index[-4:], "policies.insurance.coverage"] = 0.9
    plots.dose_response_plot(dose, "r")
    grid = results.assign(**{"policies.a.x": results["seed"] % 2, "policies.b.y": results["seed"] // 2})
    plots.interaction_heatmap(grid, "h", x="policies.a.x", y="policies.b.y")
    assert len(captured) == 5
    for fig in captured:
        text = all_text(fig)
        assert re.search(r"N = \d+(-\d+)? seeds", text), text
        assert "interval" in text, text
        assert "50,000 residents" in text, text
        assert f"{DAYS} days" in text, text


def test_moving_means_start_where_their_window_is_full(tables, captured):
    """The rates are trailing 10-day means from day 9 on, not means of a day or two before."""
    results, series, _ = tables
    arm = ARMS[0]
    plots.timeseries_plot(series, results, "t", arms=[arm], columns=("disputes_hospital",), window=10)
    (line,) = captured[0].axes[0].get_lines()
    days, values = line.get_xdata(), line.get_ydata()
    assert days[0] == 9 and days[-1] == DAYS - 1
    ts = series[series["arm"] == arm]
    counts = ts.pivot(index="seed", columns="day", values="disputes_hospital").to_numpy(float)
    expected = (counts[:, 0:10].mean(axis=1) * 365 / 2).mean()  # 2 hospitals, mean over seeds
    assert values[0] == pytest.approx(expected)
    assert "10-day trailing mean" in captured[0].axes[0].get_ylabel()


def test_a_run_shorter_than_the_window_is_averaged_whole(tables, captured):
    results, series, _ = tables
    plots.timeseries_plot(series, results, "t", arms=[ARMS[0]], columns=("disputes_hospital",), window=1000)
    (line,) = captured[0].axes[0].get_lines()
    assert list(line.get_xdata()) == [DAYS - 1]
    assert f"{DAYS}-day trailing mean" in captured[0].axes[0].get_ylabel()


def test_dates_replace_days_on_the_time_axis_when_runs_have_them(tables, captured):
    results, series, _ = tables
    dated = series.assign(date=pd.Timestamp("2006-01-01") + pd.to_timedelta(series["day"], unit="D"))
    plots.timeseries_plot(dated, results, "t", arms=[ARMS[0]], columns=("mean_trust",), marks={"reform": 30})
    ax = captured[0].axes[0]
    assert ax.get_xlabel() == "Date"
    import matplotlib.dates as mdates

    first = mdates.num2date(ax.get_lines()[0].get_xdata(orig=False)[0])
    assert first.date().isoformat() == "2006-01-01"
