"""Robust comparisons: parameter uncertainty inside every policy effect, and where each policy fails.

Four analyses over designs of runs crossed with the policy arms (every arm of a design point runs
with the same parameters and the same seeds: paired, common random numbers), all run through the
resumable design sweeps (``sim.runs.designs.run_design``) on any Hydra launcher:

1. **Effects over posterior draws** (:func:`posterior_draws`, :func:`posterior_effects`): N
   parameter sets drawn from the calibration's posterior (``configs/calibration/posterior.csv``)
   x M seeds. The paired difference ``d_ij = arm_ij - baseline_ij`` (draw i, seed j) is split by
   a one-way random-effects analysis of variance (Searle, Casella & McCulloch, *Variance
   Components*, 1992, ch. 3) into seed noise (within draws) and parameter uncertainty (between
   draws) (:func:`variance_split`). The effect gets two intervals: *without parameter
   uncertainty*, the seed noise of the mean alone (what an interval over seeds at one calibrated
   point measures); *with parameter uncertainty*, the random-effects prediction interval for the
   effect under a parameter set drawn from the posterior (Higgins, Thompson & Spiegelhalter,
   JRSS A 2009, eq. 6; :func:`effect_intervals`); relative changes the same way, each draw against
   its own baseline (:func:`relative_table`).
2. **Deep uncertainty** (:data:`DEEP_UNCERTAINTY`, :func:`latin_hypercube`): the behavioural
   parameters the data cannot pin down, each with a plausible range and why, sampled by a Latin
   hypercube (McKay, Beckman & Conover, Technometrics 1979; ``scipy.stats.qmc``) and crossed with
   the arms (:func:`crossed_design`).
3. **Scenario discovery** (:func:`discover`): per arm, the design points where it fails to cut an
   outcome by a stated share, and the box of the uncertainty space that holds them, found by the
   Patient Rule Induction Method (Friedman & Fisher, Statistics and Computing 1999; as used for
   scenario discovery by Bryant & Lempert, TFSC 2010) of the EMA Workbench 2.5.3 (Kwakkel,
   Environmental Modelling & Software 2017): coverage, density, the peeling trajectory and a
   plain-language sentence per box (:func:`box_sentence`).
4. **Robust ranking** (:func:`robust_ranking`): across the design, how often each policy is the
   best, its worst case, and its maximum regret (Savage's minimax-regret criterion, JASA 1951;
   as in robust decision making, Lempert, Popper & Bankes 2003).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from sim.policies import PACKAGES, POLICY_NAMES

#: The outcomes a policy is meant to cut (smaller is better), and their plain names.
OUTCOMES: dict[str, str] = {
    "violent_incidents_per_hospital_year": "violence",
    "disputes_per_hospital_year": "disputes",
}
#: Metrics of the posterior comparison's table.
POSTERIOR_METRICS = ("disputes_per_hospital_year", "violent_incidents_per_hospital_year", "mean_trust")
#: The arm of the policies the 2006-2019 history switched on (:func:`historical_policies`).
HISTORICAL = "historical_package"


# ----------------------------------------------------------------------------------------------
# Deep uncertainty: the behavioural parameters the data cannot pin down
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeepUncertain:
    """A behavioural parameter no data set fixes: its config key, plausible range, plain name
    (for the sentences of scenario discovery), why it is uncertain and where the range comes from."""

    key: str
    low: float
    high: float
    name: str
    why: str
    source: str


#: The parameters of the deep-uncertainty design. None of them is calibrated
#: (``sim.analysis.calibration.PRIORS`` fits the levels of the patterns: rates, shares, payouts),
#: and each either moves the outcomes strongly (Morris/Sobol, docs/sensitivity.md) or decides
#: how a policy acts. Ranges: those of the sensitivity analysis (``sim.analysis.sensitivity.BEHAVIOURAL``)
#: where it has one, so the two analyses speak of the same space.
DEEP_UNCERTAINTY: tuple[DeepUncertain, ...] = (
    DeepUncertain(
        "params.violence.threshold", 0.2, 0.4, "the violence threshold",
        "Epstein's threshold T: one observed violence rate cannot separate it from the calibrated "
        "daily action probability; it has the largest Sobol total index for violence (0.85)",
        "Epstein 2002 uses T = 0.1 for a stylised population; range around the model's 0.3 (sensitivity analysis)",
    ),
    DeepUncertain(
        "params.violence.punishment_probability", 0.05, 0.30, "the pre-reform chance of punishment",
        "no source counts how often violence against doctors was punished before 2012; it sets the gap "
        "legal deterrence can close",
        "assumption (schema default 0.15); reports of impunity before the 2015 amendment suggest it was low",
    ),
    DeepUncertain(
        "params.violence.doctor_trust_weight", 0.3, 0.7, "the weight of trust in doctors in legitimacy",
        "how much of a grievant's view of legitimacy comes from trust in doctors rather than the "
        "dispute system: no survey separates the two",
        "assumption; range of the sensitivity analysis",
    ),
    DeepUncertain(
        "params.disputes.dissatisfaction_weight", 2.0, 5.0, "the weight of dissatisfaction in disputes",
        "the calibration fixes the dispute rate (base_log_odds), not how it splits over its causes; largest "
        "Morris mu* for disputes",
        "assumption; range of the sensitivity analysis",
    ),
    DeepUncertain(
        "params.disputes.distrust_weight", 1.0, 3.0, "the weight of distrust in disputes",
        "as the weight of dissatisfaction: the split of the dispute rate over its causes is not observed",
        "assumption; range of the sensitivity analysis",
    ),
    DeepUncertain(
        "params.satisfaction.paid_expectation_gain", 0.05, 0.25, "the expectation bought by paying",
        "'I paid, so you must cure me' is described qualitatively by the sources, never measured",
        "assumption; range of the sensitivity analysis",
    ),
    DeepUncertain(
        "params.trust.negativity_bias", 1.5, 3.0, "the negativity bias of trust",
        "a bad experience moves trust more than a good one; the size in Chinese health care is unmeasured",
        "Giardini & Vilone, JASSS 2021 (existence, not size); range of the sensitivity analysis",
    ),
    DeepUncertain(
        "params.care.choice_trust_weight", 2.0, 4.0, "the weight of trust in the choice of tier",
        "the primary-care share of visits (a calibration target) pins a combination of the choice "
        "weights, not each one; it decides how far tiered care can move patients",
        "assumption; range of the sensitivity analysis",
    ),
)  # fmt: skip


def latin_hypercube(n_points: int, params: Sequence[DeepUncertain] = DEEP_UNCERTAINTY, seed: int = 0) -> pd.DataFrame:
    """``n_points`` parameter sets, one column per config key: a scrambled Latin hypercube on the
    unit cube (``scipy.stats.qmc.LatinHypercube``, drawn from ``numpy.random.default_rng(seed)``)
    scaled to each parameter's plausible range."""
    from scipy.stats import qmc

    if n_points < 1:
        raise ValueError(f"n_points={n_points} is out of range: allowed [1, inf)")
    unit = qmc.LatinHypercube(d=len(params), rng=np.random.default_rng(seed)).random(n_points)
    lows, highs = np.array([p.low for p in params]), np.array([p.high for p in params])
    return pd.DataFrame(qmc.scale(unit, lows, highs), columns=[p.key for p in params])


# ----------------------------------------------------------------------------------------------
# The calibrated rates, kept at every design point
# ----------------------------------------------------------------------------------------------
#: The rate parameters the calibration fits and :func:`rate_preserving` re-solves at each design point.
DISPUTE_RATE, VIOLENCE_RATE = "params.disputes.base_log_odds", "params.violence.daily_action_probability"
_DISPUTE_WEIGHTS = {
    "params.disputes.dissatisfaction_weight": "dissatisfaction",
    "params.disputes.distrust_weight": "distrust",
}
_VIOLENCE_KEYS = ("params.violence.threshold", "params.violence.punishment_probability",
                  "params.violence.doctor_trust_weight")  # fmt: skip


#: The pilot records the aggrieved residents of every this many days (a day holds ~12,000 of them
#: at the small scale): enough for the ratio :func:`rate_preserving` takes, at a seventh of the memory.
VIOLENCE_PILOT_EVERY = 7


@dataclass
class RatePilot:
    """The ingredients of the two calibrated rates, as one baseline run at the calibrated point
    (:func:`rate_pilot`) shows them: each episode that could open a dispute (its log-odds and its
    dissatisfaction and distrust) and each aggrieved resident-day before Epstein's rule (hardship,
    trust in doctors, the system's legitimacy as they see it, risk aversion; every
    :data:`VIOLENCE_PILOT_EVERY` days); with the config's
    values of every parameter :func:`rate_preserving` reads or sets."""

    disputes: pd.DataFrame  # log_odds, dissatisfaction, distrust: one row per episode at risk
    violence: pd.DataFrame  # hardship, trust, system, risk_aversion: one row per aggrieved resident-day
    values: dict[str, float]


class _RateIngredients:
    """Observer (``TrustModel.observers``) recording a :class:`RatePilot`'s tables."""

    def __init__(self, config, before_disputes: str, before_violence: str):
        self.p, self.before = config.params, {before_disputes: "disputes", before_violence: "violence"}
        self.disputes: list[np.ndarray] = []
        self.violence: list[np.ndarray] = []
        self.punished: set[float] = set()

    def start_day(self, world) -> None:
        pass

    def end_day(self, world) -> None:
        pass

    def after(self, name: str, world) -> None:
        from sim.engine.state import NO_DISPUTE
        from sim.mechanisms.disputes import dispute_log_odds
        from sim.mechanisms.violence import aggrieved, grievance_parts

        if self.before.get(name) == "disputes" and world.episodes is not None and world.episodes.n:
            ep = world.episodes
            at_risk = world.patients.open_dispute[ep.patient] == NO_DISPUTE  # as Disputes.step files
            x = dispute_log_odds(ep.harm, ep.satisfaction, ep.trust_before, ep.burden, self.p.disputes)
            self.disputes.append(np.stack([x, 1 - ep.satisfaction, 1 - ep.trust_before])[:, at_risk].astype(float))
        elif self.before.get(name) == "violence" and world.day % VIOLENCE_PILOT_EVERY == 0:
            who = aggrieved(world)
            parts = grievance_parts(world, who, self.p.violence)
            self.violence.append(np.stack([*parts, world.patients.risk_aversion[who]]).astype(np.float32))
            self.punished.add(float(world.levers.punished_probability))


def rate_pilot(overrides: Sequence[str] = (), seed: int = 0) -> RatePilot:
    """Run the baseline (no policy) at the calibrated point with ``overrides`` (the design's scale
    and days) and ``seed``, recording the rates' ingredients: the episodes at risk of every
    observed day, the aggrieved residents of every :data:`VIOLENCE_PILOT_EVERY`-th."""
    from sim.config.compose import compose
    from sim.engine.model import TrustModel

    config = compose([*overrides, "policies=[]", f"seed={seed}"])
    model = TrustModel(config)
    order = list(model.mechanisms)
    watch = _RateIngredients(config, *(order[order.index(m) - 1] for m in ("disputes", "violence")))
    model.burn_in()
    model.observers.append(watch)
    model.run()
    if len(watch.punished) != 1:  # the baseline's levers never move; rate_preserving relies on it
        raise RuntimeError(f"the pilot's chance of punishment moved: {sorted(watch.punished)}")
    d, v = config.params.disputes, config.params.violence
    values = {
        DISPUTE_RATE: d.base_log_odds,
        VIOLENCE_RATE: v.daily_action_probability,
        **{key: getattr(d, key.rsplit(".", 1)[1]) for key in _DISPUTE_WEIGHTS},
        **{key: getattr(v, key.rsplit(".", 1)[1]) for key in _VIOLENCE_KEYS},
    }
    if not np.isclose(values["params.violence.punishment_probability"], watch.punished.pop(), rtol=0, atol=1e-12):
        raise RuntimeError("the pilot's chance of punishment is not params.violence.punishment_probability")
    columns = {"disputes": ["log_odds", "dissatisfaction", "distrust"],
               "violence": ["hardship", "trust", "system", "risk_aversion"]}  # fmt: skip
    tables = {
        name: pd.DataFrame(np.concatenate(rows, axis=1).T if rows else np.empty((0, len(columns[name]))),
                           columns=columns[name])
        for name, rows in (("disputes", watch.disputes), ("violence", watch.violence))
    }  # fmt: skip
    return RatePilot(tables["disputes"], tables["violence"], values)


def over_threshold(
    violence: pd.DataFrame, threshold: float, punishment_probability: float, doctor_trust_weight: float
) -> int:
    """Aggrieved resident-days whose grievance less net risk exceeds the threshold (Epstein's rule,
    ``sim.mechanisms.violence``) under these values."""
    import dataclasses

    from sim.config.schema import ViolenceParams
    from sim.mechanisms.violence import grievance, legitimacy, net_risk

    weights = dataclasses.replace(ViolenceParams(), doctor_trust_weight=doctor_trust_weight)
    legit = legitimacy(violence["trust"].to_numpy(), violence["system"].to_numpy(), weights)
    g = grievance(violence["hardship"].to_numpy(), legit)
    return int(((g - net_risk(violence["risk_aversion"].to_numpy(), punishment_probability)) > threshold).sum())


def rate_preserving(design: pd.DataFrame, pilot: RatePilot) -> pd.DataFrame:
    """The design with, at each point, the dispute and violence rates of the calibrated baseline
    kept: the calibration fixes the rates, not how they split over their causes (:data:`DEEP_UNCERTAINTY`),
    so a point that weights dissatisfaction more gets a lower base log-odds, and one with a lower
    violence threshold a smaller daily chance of acting.

    - ``params.disputes.base_log_odds``: shifted by the delta solving
      ``sum sigmoid(x_i + dw_s s_i + dw_t t_i + delta) = sum sigmoid(x_i)`` over the pilot's episodes
      at risk (``x_i``: their log-odds, ``s_i``, ``t_i``: dissatisfaction and distrust, ``dw``: the
      point's weights less the calibrated ones);
    - ``params.violence.daily_action_probability``: scaled by the pilot's aggrieved resident-days
      over the threshold at the calibrated values over those at the point's threshold, chance of
      punishment and weight of trust (:func:`over_threshold`). Acts are this chance times those
      resident-days as long as acting rarely empties the pool: the calibrated chance is ~0.1 % a
      day, while hardship fades over weeks; capped at 1, and left as calibrated where the pilot has
      nobody over the threshold (at the calibrated point or at this one).

    Both hold the pilot's state fixed (static): trust, satisfaction and the pool of grievances
    answer to the new values in the runs, and the parameters not listed here (e.g. the expectation
    bought by paying) move the rates unchecked; the baseline's spread over the design
    (robustness.md) shows how close it comes. Columns of the design not among the parameters
    above are left as they are."""
    from scipy.optimize import brentq

    out = design.copy()
    base = pilot.values
    x = pilot.disputes["log_odds"].to_numpy()
    parts = {name: pilot.disputes[name].to_numpy() for name in _DISPUTE_WEIGHTS.values()}
    target = float(np.sum(1 / (1 + np.exp(-x))))
    v_keys = [k.rsplit(".", 1)[1] for k in _VIOLENCE_KEYS]
    pool0 = over_threshold(pilot.violence, **{k: base[key] for k, key in zip(v_keys, _VIOLENCE_KEYS, strict=True)})
    shifts, chances = [], []
    for _, row in design.iterrows():
        moved = sum((row.get(key, base[key]) - base[key]) * parts[name] for key, name in _DISPUTE_WEIGHTS.items())
        if x.size:
            excess = lambda delta, moved=moved: float(np.sum(1 / (1 + np.exp(-(x + moved + delta))))) - target  # noqa: E731
            shifts.append(brentq(excess, -60.0, 60.0, xtol=1e-10))
        else:
            shifts.append(0.0)
        point = {k: row.get(key, base[key]) for k, key in zip(v_keys, _VIOLENCE_KEYS, strict=True)}
        pool = over_threshold(pilot.violence, **point)
        # without anyone over the threshold in the pilot (at the calibrated point or this one) there
        # is nothing to scale by: the calibrated chance stays
        chances.append(min(1.0, base[VIOLENCE_RATE] * pool0 / pool) if pool and pool0 else base[VIOLENCE_RATE])
    out[DISPUTE_RATE] = base[DISPUTE_RATE] + np.array(shifts)
    out[VIOLENCE_RATE] = chances
    _check_in_range(out)
    return out


def _check_in_range(design: pd.DataFrame) -> None:
    """Refuse, before any run, a re-solved rate outside its parameter's allowed range (a design
    whose weights stretch far beyond the calibrated ones), naming the point, the key and the range."""
    import dataclasses

    from sim.config.fields import allowed_range
    from sim.config.schema import DisputeParams, ViolenceParams

    for key, params in ((DISPUTE_RATE, DisputeParams), (VIOLENCE_RATE, ViolenceParams)):
        f = next(f for f in dataclasses.fields(params) if f.name == key.rsplit(".", 1)[1])
        lo, hi = f.metadata["range"]
        bad = design.index[(design[key] < lo) | (design[key] > hi)]
        if len(bad):
            raise ValueError(
                f"design point {bad[0]}: keeping the calibrated rates needs {key}={design.loc[bad[0], key]:.4g}, "
                f"outside its allowed range {allowed_range(f)}; narrow the design's ranges or use --fixed-rates"
            )


# ----------------------------------------------------------------------------------------------
# The calibration's posterior
# ----------------------------------------------------------------------------------------------
class PosteriorMissing(FileNotFoundError):
    """The posterior's parameter sets are not on disk (the calibration has not written them)."""


def read_posterior(path: Path | None = None) -> pd.DataFrame:
    """The calibration's weighted parameter sets (``configs/calibration/posterior.csv``: one column
    per config key and ``weight``), checked: raises :class:`PosteriorMissing` naming the file and
    the command that writes it, or ValueError naming what is wrong with it."""
    from sim.analysis.calibration import POSTERIOR_FILE

    path = Path(path or POSTERIOR_FILE)
    if not path.is_file():
        raise PosteriorMissing(
            f"{path} does not exist: the calibration's posterior sets are written by "
            "`python experiments/calibrate.py --write-config` (make calibrate)"
        )
    sets = pd.read_csv(path)
    if "weight" not in sets.columns or len(sets) == 0:
        raise ValueError(f"{path}: expected a 'weight' column and at least one parameter set")
    keys = [c for c in sets.columns if c != "weight"]
    bad = [c for c in keys if not c.startswith("params.")]
    if not keys or bad:
        raise ValueError(f"{path}: every column but 'weight' must be a config key params.<group>.<name>, got {bad}")
    weights = pd.to_numeric(sets["weight"], errors="coerce")
    if weights.isna().any() or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError(f"{path}: weights must be non-negative numbers with a positive sum")
    return sets


def posterior_draws(n: int, seed: int = 0, path: Path | None = None) -> pd.DataFrame:
    """``n`` parameter sets drawn from the posterior by weight (without replacement while there are
    enough; ``sim.analysis.history.posterior_draws``), one row per draw, from ``default_rng(seed)``."""
    from sim.analysis.history import posterior_draws as draw

    if n < 1:
        raise ValueError(f"n={n} posterior draws is out of range: allowed [1, inf)")
    read_posterior(path)  # the checks and the clear error
    from sim.analysis.calibration import POSTERIOR_FILE

    return pd.DataFrame(draw(n, seed=seed, path=Path(path or POSTERIOR_FILE)))


# ----------------------------------------------------------------------------------------------
# Designs crossed with the arms, run through the design sweeper
# ----------------------------------------------------------------------------------------------
def historical_policies() -> list[str]:
    """The policies the history of 2006-2019 switches on (``configs/scenario/china_2006_2019.yaml``)."""
    from sim.analysis.history import scenario_policies

    return scenario_policies()


def comparison_arms(include_packages: bool = True, historical: bool = True) -> dict[str, list[str]]:
    """The arms by name: ``baseline``, each policy alone, each package (``sim.policies.PACKAGES``),
    and :data:`HISTORICAL` (the history's policies, each at its default intensity from day 0: the
    package as a whole, not the history's dates and strengths)."""
    arms: dict[str, list[str]] = {"baseline": [], **{name: [name] for name in POLICY_NAMES}}
    if include_packages:
        arms.update({"+".join(members): list(members) for members in PACKAGES.values()})
    if historical:
        arms[HISTORICAL] = historical_policies()
    return arms


def crossed_design(points: pd.DataFrame, arms: dict[str, list[str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every design point (a row of config values) with every arm: (the design for
    ``run_design``, one row per (point, arm) with a ``policies`` column; the index of its rows:
    ``point``, ``arm``). Every arm gets the same points, so runs are paired by point and seed."""
    if "baseline" not in arms:
        raise ValueError("the arms need a 'baseline' to pair with")
    rows, index = [], []
    for point, values in enumerate(points.to_dict("records") or [{}] * len(points)):
        for name, members in arms.items():
            rows.append({**values, "policies": f"[{','.join(members)}]"})
            index.append({"point": point, "arm": name})
    return pd.DataFrame(rows, columns=[*points.columns, "policies"]), pd.DataFrame(index)


def run_crossed(
    points: pd.DataFrame,
    arms: dict[str, list[str]],
    seeds: range,
    overrides: Sequence[str] = (),
    launcher: Sequence[str] = ("hydra/launcher=joblib",),
    sweep_dir: Path | None = None,
    reuse: bool = False,
) -> pd.DataFrame:
    """Run :func:`crossed_design` over ``seeds`` (resumable in ``sweep_dir``): one row per run with
    ``point``, ``arm``, ``seed``, the point's parameter values and every summary metric.
    ``reuse``: read the complete runs already in ``sweep_dir`` instead (``design_results``: a
    re-analysis after a change to the analysis code, which would otherwise redo every run, or of an
    unfinished sweep; each run's ``code`` column says which code made it, and its recorded config
    is checked against the design below): only the points whose every arm and seed are complete
    are kept (``runs.attrs["complete_points"]`` counts them)."""
    from sim.runs.designs import design_results, run_design

    design, index = crossed_design(points, arms)
    if reuse:
        runs = design_results(design.astype(object), seeds, Path(sweep_dir), partial=True)
    else:
        runs = run_design(design, seeds, overrides, sweep_dir, launcher)
    runs = runs.rename(columns={"point": "row", "arm": "arm_label"}).join(index, on="row")
    if reuse:
        counts = runs.groupby("point").size()
        whole = counts.index[counts == len(arms) * len(seeds)]
        runs = runs[runs["point"].isin(whole)]
        if runs.empty:
            raise RuntimeError(f"{sweep_dir}: no design point has all its runs complete")
    # each run's own recorded config must hold its arm's policies and its point's values
    expected = index["arm"].map({name: "+".join(sorted(m)) for name, m in arms.items()})
    recorded = runs["policies"].map(lambda p: "" if p == "none" else "+".join(sorted(p.split("+"))))
    if not (recorded.to_numpy() == expected.to_numpy()[runs["row"].to_numpy()]).all():
        raise RuntimeError(f"the runs in {sweep_dir} do not hold the design's arms")
    for key in points.columns:
        expected = points[key].to_numpy(float)[runs["point"].to_numpy()]
        if key not in runs or not np.allclose(runs[key].to_numpy(float), expected):
            raise RuntimeError(f"the runs in {sweep_dir} do not hold the design's values of {key}")
    runs.attrs["complete_points"] = int(runs["point"].nunique())
    return runs


# ----------------------------------------------------------------------------------------------
# Effects over posterior draws: seed noise and parameter uncertainty
# ----------------------------------------------------------------------------------------------
def variance_split(d: np.ndarray) -> dict[str, float]:
    """One-way random-effects ANOVA of an N x M table (draws x seeds; Searle, Casella & McCulloch
    1992, ch. 3): ``d_ij = mu + a_i + e_ij`` with ``Var(a) = var_parameter`` (between draws) and
    ``Var(e) = var_seed`` (within). With the mean squares MSB (between) and MSW (within),
    ``var_seed = MSW`` and ``var_parameter = max(0, (MSB - MSW) / M)``; ``parameter_share`` is
    ``var_parameter / (var_parameter + var_seed)``. Needs N >= 2 draws and M >= 2 seeds."""
    d = np.asarray(d, dtype=float)
    if d.ndim != 2 or d.shape[0] < 2 or d.shape[1] < 2:
        raise ValueError(f"variance_split needs at least 2 draws x 2 seeds, got shape {d.shape}")
    if not np.isfinite(d).all():
        raise ValueError("variance_split: the table has missing or infinite values")
    n, m = d.shape
    draw_means = d.mean(axis=1)
    grand = d.mean()
    msb = m * np.sum((draw_means - grand) ** 2) / (n - 1)
    msw = np.sum((d - draw_means[:, None]) ** 2) / (n * (m - 1))
    var_parameter = max(0.0, (msb - msw) / m)
    total = var_parameter + msw
    return {
        "mean": float(grand),
        "draws": n,
        "seeds": m,
        "ms_between": float(msb),
        "ms_within": float(msw),
        "var_seed": float(msw),
        "var_parameter": float(var_parameter),
        "parameter_share": float(var_parameter / total) if total > 0 else float("nan"),
    }


def effect_intervals(d: np.ndarray, level: float = 0.95) -> dict[str, float]:
    """The mean paired effect of an N x M table (draws x seeds) with two intervals:

    - *without parameter uncertainty* (``seed_low``, ``seed_high``): mean +- t(N(M-1)) x
      sqrt(var_seed / (N M)), the seed noise of the mean alone, as if every run had the same
      parameters (the interval of a comparison at one calibrated point);
    - *with parameter uncertainty* (``parameter_low``, ``parameter_high``): the random-effects
      prediction interval for the effect under a parameter set drawn from the posterior,
      mean +- t(N-1) x sqrt(var_parameter + max(MSB, MSW) / (N M)) (Higgins, Thompson &
      Spiegelhalter 2009, eq. 6, with MSB / (N M) the variance of the estimated mean; MSB is at
      least MSW in expectation, and taking the larger, as ``var_parameter`` is truncated at 0, keeps
      this interval at least as wide as the first).
    """
    split = variance_split(d)
    n, m = split["draws"], split["seeds"]
    alpha = (1 - level) / 2
    half_seed = scipy_stats.t.ppf(1 - alpha, n * (m - 1)) * np.sqrt(split["var_seed"] / (n * m))
    half_param = scipy_stats.t.ppf(1 - alpha, n - 1) * np.sqrt(
        split["var_parameter"] + max(split["ms_between"], split["ms_within"]) / (n * m)
    )
    mu = split["mean"]
    return {
        **split,
        "seed_low": mu - half_seed,
        "seed_high": mu + half_seed,
        "parameter_low": mu - half_param,
        "parameter_high": mu + half_param,
    }


def paired_runs(runs: pd.DataFrame, arm: str, metric: str, baseline: str = "baseline"):
    """``(arm, baseline)`` values of ``metric``, each one row per point (draw) and one column per
    seed, over the pairs where both runs completed (``None`` if either arm is missing)."""
    done = runs[runs["status"] == "completed"] if "status" in runs else runs
    wide = done.pivot_table(index=["point", "seed"], columns="arm", values=metric, aggfunc="first")
    if arm not in wide or baseline not in wide:
        return None
    both = wide[[arm, baseline]].dropna()
    a, b = both[arm].unstack("seed"), both[baseline].unstack("seed")
    keep = a.notna().all(axis=1) & b.notna().all(axis=1)
    return a[keep], b[keep]


def paired_table(runs: pd.DataFrame, arm: str, metric: str, baseline: str = "baseline") -> pd.DataFrame:
    """``arm - baseline`` on ``metric``, one row per point (draw), one column per seed: only pairs
    where both runs completed."""
    pair = paired_runs(runs, arm, metric, baseline)
    return pd.DataFrame() if pair is None else pair[0] - pair[1]


def relative_table(arm: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """``arm / baseline - 1`` per run, each draw against its own baseline's mean over seeds: a draw's
    mean is exactly its relative change, and parameter sets that move the baseline's level (a
    tenfold violence rate) do not count as uncertainty about a relative effect."""
    level = base.mean(axis=1)
    return (arm - base).div(level.where(level != 0), axis=0)


def check_paired(runs: pd.DataFrame, parameter_columns: Sequence[str] = ()) -> None:
    """Raise unless every arm ran the same (point, seed) pairs with the same parameter values:
    the comparison is paired (common random numbers and common parameters)."""
    keys = ["point", "seed", *parameter_columns]
    sets = {arm: set(map(tuple, group[keys].astype(str).to_numpy())) for arm, group in runs.groupby("arm")}
    first = next(iter(sets.values()))
    unpaired = [arm for arm, s in sets.items() if s != first]
    if unpaired:
        raise ValueError(f"arms {unpaired} did not run the same draws and seeds as the others")


def posterior_effects(
    runs: pd.DataFrame, metrics: Sequence[str] = POSTERIOR_METRICS, baseline: str = "baseline", level: float = 0.95
) -> pd.DataFrame:
    """Per arm and metric: the paired effect over draws x seeds with its intervals and variance
    split (:func:`effect_intervals`), and the same for its relative change (``relative_*``: each
    draw against its own baseline, :func:`relative_table`)."""
    rows = []
    base_mean = runs[runs["arm"] == baseline].groupby("point")[list(metrics)].mean().mean()
    for arm in [a for a in dict.fromkeys(runs["arm"]) if a != baseline]:
        for metric in metrics:
            pair = paired_runs(runs, arm, metric, baseline)
            if pair is None or pair[0].shape[0] < 2 or pair[0].shape[1] < 2:
                continue
            absolute = effect_intervals(pair[0] - pair[1], level)
            row = {"arm": arm, "metric": metric, "baseline_mean": float(base_mean[metric]), **absolute}
            relative = relative_table(*pair)
            if np.isfinite(relative.to_numpy(float)).all():
                row.update({f"relative_{k}": v for k, v in effect_intervals(relative, level).items()})
            else:  # (a draw whose baseline had no event at all)
                row.update({f"relative_{k}": float("nan") for k in absolute})
            row["relative_change"] = row.pop("relative_mean")
            rows.append(row)
    return pd.DataFrame(rows).rename(columns={"mean": "effect"})


def _pct(x: float) -> str:
    return f"{x:+.1%}" if np.isfinite(x) else "n/a"


def posterior_markdown(effects: pd.DataFrame, level: float = 0.95) -> str:
    """The table: effect, interval without and with parameter uncertainty (relative), variance split."""
    from sim.analysis.stats import METRICS

    pct = f"{level:.0%}"
    lines = [
        f"| Arm | Metric | Baseline | Effect | Relative change | {pct} seeds only | {pct} with parameter uncertainty "
        "| SD seed (of baseline) | SD parameters (of baseline) | Parameter share | Draws x seeds |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in effects.to_dict("records"):
        label = METRICS.get(r["metric"], (r["metric"], ""))[0]
        lines.append(
            f"| {r['arm']} | {label} | {r['baseline_mean']:.3g} | {r['effect']:+.3g} | {_pct(r['relative_change'])} "
            f"| [{_pct(r['relative_seed_low'])}, {_pct(r['relative_seed_high'])}] "
            f"| [{_pct(r['relative_parameter_low'])}, {_pct(r['relative_parameter_high'])}] "
            f"| {np.sqrt(r['relative_var_seed']):.1%} | {np.sqrt(r['relative_var_parameter']):.1%} "
            f"| {_pct(r['relative_parameter_share']).lstrip('+')} "
            f"| {r['draws']} x {r['seeds']} |"
        )
    return "\n".join(lines) + "\n"


def posterior_forest(effects: pd.DataFrame, path: Path, note: str = "") -> list[Path]:
    """Forest plot of the relative effects, each with its interval over seeds only (thick) and
    with parameter uncertainty (thin), one panel per metric. Writes PDF and PNG."""
    import matplotlib.pyplot as plt

    from sim.analysis.plots import OKABE_ITO, arm_name, house_style, metric_label, save

    metrics = list(dict.fromkeys(effects["metric"]))
    arms = list(dict.fromkeys(effects["arm"]))
    with house_style():
        fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 0.32 * len(arms) + 1.4),
                                 sharey=True, layout="constrained", squeeze=False)  # fmt: skip
        for ax, metric in zip(axes[0], metrics, strict=True):
            sub = effects[effects["metric"] == metric].set_index("arm").reindex(arms)
            y = np.arange(len(arms))[::-1]
            ax.hlines(y, sub["relative_parameter_low"] * 100, sub["relative_parameter_high"] * 100,
                      color=OKABE_ITO[1], lw=1.2, label="with parameter uncertainty")  # fmt: skip
            ax.hlines(y, sub["relative_seed_low"] * 100, sub["relative_seed_high"] * 100,
                      color=OKABE_ITO[5], lw=4, label="seeds only")  # fmt: skip
            ax.plot(sub["relative_change"] * 100, y, "o", color="black", ms=3.5)
            ax.axvline(0, color="0.5", lw=0.8)
            ax.set_title(metric_label(metric), fontsize=8)
            ax.set_xlabel("relative change vs baseline (%)")
            ax.set_yticks(y, [arm_name(a) if a in POLICY_NAMES or "+" in a else a for a in arms])
        axes[0][0].legend(loc="lower left", fontsize=6)
        fig.suptitle(f"Paired effects over posterior draws x seeds{note}", fontsize=9)
        return save(fig, path)


# ----------------------------------------------------------------------------------------------
# Per design point: relative effects and failures
# ----------------------------------------------------------------------------------------------
def point_effects(runs: pd.DataFrame, outcomes: Sequence[str] = tuple(OUTCOMES), baseline: str = "baseline"):
    """Per design point and arm: the relative change of each outcome, mean over the point's seeds
    of the arm over the mean of the baseline's (paired by seed); NaN where the baseline has none
    of the outcome (a relative change is undefined)."""
    done = runs[runs["status"] == "completed"] if "status" in runs else runs
    means = done.groupby(["point", "arm"])[list(outcomes)].mean()
    base = means.xs(baseline, level="arm")
    out = means.drop(index=baseline, level="arm")
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = out.div(base.replace(0, np.nan), level="point") - 1
    return relative.reset_index()


def failures(relative: pd.DataFrame, outcome: str, share: float) -> pd.DataFrame:
    """``failed``: the arm cut ``outcome`` by less than ``share`` at that point (relative change
    above ``-share``); points with an undefined change are left out."""
    if not 0 < share < 1:
        raise ValueError(f"share={share} is out of range: allowed (0, 1)")
    frame = relative[["point", "arm", outcome]].dropna()
    return frame.assign(failed=frame[outcome] > -share)


# ----------------------------------------------------------------------------------------------
# Scenario discovery: PRIM (EMA Workbench 2.5.3)
# ----------------------------------------------------------------------------------------------
@dataclass
class FailureBox:
    """A PRIM box: its limits on the restricted parameters (``low``, ``high``, quasi-p values of
    Bryant & Lempert 2010), coverage, density, mass, the chosen step and the whole trajectory."""

    limits: pd.DataFrame  # index: parameter; low, high, low_restricted, high_restricted, qp_low, qp_high
    coverage: float  # of the final box (after insignificant restrictions are dropped)
    density: float
    mass: float
    step: int  # the step chosen on the peeling trajectory
    trajectory: pd.DataFrame  # coverage, density, mass, res_dim per peeling/pasting step
    cases: int  # cases of interest (failures) in the design
    points: int
    significance: float = 0.05
    min_density: float = 0.8

    @property
    def quasi_p(self) -> float:
        """The smallest quasi-p value of its limits (NaN without limits): the box's best evidence."""
        values = self.limits[["qp_low", "qp_high"]].to_numpy(float) if len(self.limits) else np.array([np.nan])
        return float(np.nanmin(values)) if np.isfinite(values).any() else float("nan")

    @property
    def weak(self) -> bool:
        """No limit significant at ``significance``, or a density below ``min_density``."""
        return not (self.quasi_p <= self.significance) or self.density < self.min_density


def _ema_prim():
    """EMA Workbench's PRIM module, quietly: importing the workbench warns about its optional
    parts (ipyparallel, altair), which scenario discovery does not use."""
    import logging

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


def discover(
    x: pd.DataFrame,
    failed: np.ndarray,
    min_density: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    significance: float = 0.05,
    objective: str = "original",
) -> FailureBox | None:
    """The first PRIM box of the failures ``failed`` (bool per row of ``x``, the uncertain
    parameters of each design point).

    EMA Workbench's ``Prim`` peels (share ``peel_alpha`` a step, down to ``mass_min`` of the
    points; Friedman & Fisher's ``original`` objective by default: the workbench's ``lenient1``
    stops early on small noisy designs) and pastes. The box chosen on that trajectory is the one
    with the largest coverage among those with a density of at least ``min_density`` (if none
    reaches it, the densest). Peeling on a small design also cuts slices that hold no failure by
    chance, so then each restricted side (a lower or an upper limit) whose quasi-p value (Bryant &
    Lempert 2010: a one-sided binomial test of the box against the box without that limit)
    exceeds ``significance`` is released, the least significant first, each release a step
    appended to the trajectory; what remains is the box. ``None`` when there is nothing to find:
    no failure, or failures everywhere."""
    failed = np.asarray(failed, dtype=bool)
    if len(failed) != len(x):
        raise ValueError(f"{len(failed)} outcomes for {len(x)} design points")
    if not 0 < min_density <= 1:
        raise ValueError(f"min_density={min_density} is out of range: allowed (0, 1]")
    if failed.all() or not failed.any():
        return None
    prim = _ema_prim()
    with warnings.catch_warnings():
        # the workbench's own deprecation warnings (pandas' ``inplace``: Pandas4Warning) are not ours
        warnings.simplefilter("ignore")
        # the workbench's threshold both marks the cases of interest (y >= it: the failures) and is
        # the density its last box must reach, or it returns a box of everything instead; just above
        # 0 it keeps the whole trajectory, and the box is chosen on it below, by ``min_density``
        finder = prim.Prim(
            x.reset_index(drop=True).astype(float), failed, threshold=1e-6, peel_alpha=peel_alpha,
            mass_min=mass_min, obj_function=getattr(prim.PRIMObjectiveFunctions, objective.upper()),
        )  # fmt: skip
        box = finder.find_box()
        columns = ["coverage", "density", "mass", "res_dim"]
        trajectory = box.peeling_trajectory[columns].astype(float).reset_index(drop=True)
        dense = trajectory[(trajectory["density"] >= min_density) & (trajectory["res_dim"] > 0)]
        if len(dense):
            step = int(dense.sort_values(["coverage", "density"], ascending=False).index[0])
        else:
            step = int(trajectory["density"].idxmax())
        # restricted sides that do not matter (quasi-p value above ``significance``) are released,
        # the least significant first, each release a new step of the trajectory
        box.select(step)
        data = finder.x.loc[finder.yi_remaining]
        while True:
            qp = box.qp[box._cur_box]
            sides = [(v, k, side) for k, values in qp.items() for side, v in enumerate(values) if v >= 0]
            restricted = {k for _, k, _ in sides}
            weak = [t for t in sides if t[0] > significance]
            if not weak or (len(sides) <= 1):
                break
            _, key, side = max(weak)
            if len(restricted) == 1 and sum(k == key for _, k, _ in sides) == 1:
                break  # (the last restriction stays: a box of everything says nothing)
            limits = box.box_lims[box._cur_box].copy()
            limits.loc[side, key] = box.box_lims[0].loc[side, key]
            inside = ((limits.loc[0].to_numpy(float) <= data.to_numpy(float))
                      & (data.to_numpy(float) <= limits.loc[1].to_numpy(float))).all(axis=1)  # fmt: skip
            box.update(limits, finder.yi_remaining[inside])
        final = box._cur_box
        stats = box.peeling_trajectory.iloc[final]
    lims, initial = box.box_lims[final], box.box_lims[0]
    rows = {}
    for key, sides in box.qp[final].items():
        low, high = float(lims[key].iloc[0]), float(lims[key].iloc[1])
        rows[key] = {
            "low": low,
            "high": high,
            "low_restricted": bool(low > float(initial[key].iloc[0])),
            "high_restricted": bool(high < float(initial[key].iloc[1])),
            "qp_low": float(sides[0]) if sides[0] >= 0 else np.nan,
            "qp_high": float(sides[1]) if sides[1] >= 0 else np.nan,
        }
    limits = pd.DataFrame.from_dict(rows, orient="index")
    limits.index.name = "parameter"
    return FailureBox(
        limits=limits,
        coverage=float(stats["coverage"]),
        density=float(stats["density"]),
        mass=float(stats["mass"]),
        step=step,
        trajectory=trajectory,
        cases=int(failed.sum()),
        points=len(failed),
        significance=significance,
        min_density=min_density,
    )


def box_sentence(
    arm: str, outcome: str, share: float, box: FailureBox | None, names: dict[str, str] | None = None,
    failed_share: float | None = None,
) -> str:  # fmt: skip
    """The box in plain language, e.g. "legal deterrence fails to cut violence by 20 % when the
    violence threshold is above 0.33 and ... (coverage 80 %: ...; density 90 %: ...)"."""
    from sim.analysis.plots import arm_name

    names = names or {p.key: p.name for p in DEEP_UNCERTAINTY}
    who = arm_name(arm) if arm in POLICY_NAMES or "+" in arm else arm.replace("_", " ")
    what = f"{who} fails to cut {OUTCOMES.get(outcome, outcome)} by {share:.0%}"
    if box is None:
        if failed_share is None:
            return f"{what}: no design point to judge by."
        return f"{what} {'everywhere' if failed_share >= 1 else 'nowhere'} in the design."
    if box.limits.empty:
        return (
            f"{what} at {box.cases} of {box.points} design points, with no box of the uncertain parameters "
            f"holding them (density at best {box.density:.0%})."
        )
    conditions = []
    for key, lim in box.limits.iterrows():
        name = names.get(key, key)
        cut_low, cut_high = bool(lim["low_restricted"]), bool(lim["high_restricted"])
        if cut_low and cut_high:
            conditions.append(f"{name} is between {lim['low']:.3g} and {lim['high']:.3g}")
        elif cut_low:
            conditions.append(f"{name} is above {lim['low']:.3g}")
        else:
            conditions.append(f"{name} is below {lim['high']:.3g}")
    when = ", ".join(conditions[:-1]) + (" and " if len(conditions) > 1 else "") + conditions[-1]
    caution = (
        f" A weak box: {'no limit is significant' if not box.quasi_p <= box.significance else 'its density is low'} "
        f"(smallest quasi-p {box.quasi_p:.2g}, density {box.density:.0%}), so read it as a hint, not a finding."
        if box.weak
        else ""
    )
    return (
        f"{what} when {when} (coverage {box.coverage:.0%}: the box holds that share of its {box.cases} "
        f"failing points; density {box.density:.0%}: that share of the design points in the box fail; "
        f"{box.mass:.0%} of the design).{caution}"
    )


# ----------------------------------------------------------------------------------------------
# Robust ranking
# ----------------------------------------------------------------------------------------------
def robust_ranking(relative: pd.DataFrame, outcome: str, arms: Sequence[str]) -> pd.DataFrame:
    """The ``arms`` (e.g. the single policies) across the design points, on the relative change of
    ``outcome`` (more negative is better): ``share_best`` (points where the arm cuts most; a tie
    counts for every arm in it, so the shares can sum to more than 1),
    ``mean`` change, ``worst_case`` (its least cut: the maximum change), ``max_regret`` (the
    largest gap to the best arm of a point; Savage 1951) and the ranks by each (1 = best: most
    often best, best worst case, smallest maximum regret). Points where any arm is undefined are
    left out."""
    wide = relative.pivot(index="point", columns="arm", values=outcome)[list(arms)].dropna()
    if wide.empty:
        return pd.DataFrame(columns=["arm", "share_best", "mean", "worst_case", "max_regret"])
    best = wide.min(axis=1)
    regret = wide.sub(best, axis=0)
    best_here = wide.eq(best, axis=0)  # a tie (e.g. two arms ending all violence) counts for each
    table = pd.DataFrame(
        {
            "arm": list(arms),
            "share_best": [float(best_here[a].mean()) for a in arms],
            "mean": wide.mean().to_numpy(),
            "worst_case": wide.max().to_numpy(),
            "max_regret": regret.max().to_numpy(),
            "points": len(wide),
        }
    )
    table["rank_best"] = table["share_best"].rank(ascending=False, method="min").astype(int)
    table["rank_mean"] = table["mean"].rank(method="min").astype(int)
    table["rank_worst_case"] = table["worst_case"].rank(method="min").astype(int)
    table["rank_regret"] = table["max_regret"].rank(method="min").astype(int)
    return table.sort_values(["rank_regret", "rank_best"]).reset_index(drop=True)
