"""What a run reports: the daily series (Mesa DataCollector reporters) and the summary.

The summary (``summary.json``) is one flat JSON object of headline figures. Per-hospital
figures count secondary and tertiary hospitals only (not primary clinics), per year of
simulated time, as in the source documents' per-hospital figures.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.institutions import LITIGATION, MEDIATION
from sim.engine.ledger import DAILY_COUNTS
from sim.engine.state import PRIMARY
from sim.mechanisms.accounting import cost_summary
from sim.mechanisms.disputes import expected_largest_payout
from sim.version import __version__


def _mean_on_duty(world, values: np.ndarray) -> float:
    on = world.doctors.on_duty(world.day)
    return float(values[on].mean()) if on.any() else float("nan")


def _count(key: str):
    return lambda m: m.world.ledger.today[key]


#: Daily series, one column each (``model.timeseries()``, ``timeseries.parquet``).
REPORTERS = {
    "day": lambda m: m.world.day,
    **{key: _count(key) for key in DAILY_COUNTS},
    "violent_incidents": lambda m: m.world.ledger.today["disturbances"] + m.world.ledger.today["assaults"],
    "mean_trust": lambda m: float(m.world.patients.trust.mean()),
    "mean_trust_primary": lambda m: float(m.world.patients.trust_primary.mean()),
    "system_legitimacy": lambda m: m.world.disputes.legitimacy,
    "open_disputes": lambda m: m.world.disputes.n_open,
    "mediation_queue": lambda m: sum(len(c.queue) for c in m.world.mediation.centres),
    "mediation_caseload": lambda m: sum(m.world.mediation.caseload(c) for c in m.world.mediation.centres),
    "doctors_on_duty": lambda m: int(m.world.doctors.on_duty(m.world.day).sum()),
    "doctors_vacant": lambda m: int(m.world.doctors.vacant().sum()),
    "mean_burnout": lambda m: _mean_on_duty(m.world, m.world.doctors.burnout),
    "mean_defensive_fear": lambda m: float(m.world.facilities.defensive_fear[m.world.facilities.tier > PRIMARY].mean()),
    "mean_wait_days": lambda m: m.world.ledger.wait_today,
    "mean_satisfaction": lambda m: m.world.ledger.satisfaction_today,
    "out_of_pocket_share": lambda m: (
        m.world.ledger.today["out_of_pocket_yuan"] / max(m.world.ledger.today["cost_yuan"], 1e-9)
    ),
}


def summarise(model, wall_seconds: float = float("nan")) -> dict:
    """The headline figures of a run so far (observed days only)."""
    cfg, world = model.config, model.world
    fa, ledger = world.facilities, world.ledger
    tot = ledger.totals
    years = max(world.day, 1) / 365.0
    hospital = fa.tier > PRIMARY
    n_hospitals = int(hospital.sum())
    per_hospital_year = 1.0 / (n_hospitals * years)
    closed = world.disputes.closed()
    filed = world.disputes.filed()
    compensated = np.array([d.compensation_yuan for d in closed if d.compensation_yuan > 0])
    mediated = [d for d in filed if MEDIATION in d.channels]
    mediators = world.mediation.mediators
    mediation_agreements = sum(m.agreements for m in mediators)
    mediation_ended = sum(m.cases_closed for m in mediators)
    violence_log = ledger.violence_log
    n_violent = len(violence_log)
    doctor_years = world.doctors.n * years
    trust = world.patients.trust
    episodes = max(tot["visits"] - tot["referrals"], 1.0)
    summary = {
        "disputes_per_hospital_year": float(fa.disputes[hospital].sum() * per_hospital_year),
        "violent_incidents_per_hospital_year": float(
            (fa.disturbances[hospital].sum() + fa.assaults[hospital].sum()) * per_hospital_year
        ),
        "disturbances_per_hospital_year": float(fa.disturbances[hospital].sum() * per_hospital_year),
        "assaults_per_hospital_year": float(fa.assaults[hospital].sum() * per_hospital_year),
        "doctors_injured_per_hospital_year": float(fa.injuries[hospital].sum() * per_hospital_year),
        "disputes_per_clinic_year": float(fa.disputes[~hospital].sum() / max((~hospital).sum(), 1) / years),
        "mean_compensation_yuan": float(compensated.mean()) if compensated.size else 0.0,
        "median_compensation_yuan": float(np.median(compensated)) if compensated.size else 0.0,
        "max_compensation_yuan": float(compensated.max()) if compensated.size else 0.0,
        "mean_trust": float(trust.mean()),
        "mean_trust_primary": float(world.patients.trust_primary.mean()),
        "share_low_trust": float((trust < 0.3).mean()),
        "system_legitimacy": float(world.disputes.legitimacy),
        "mediation_share": len([d for d in closed if d.channel == MEDIATION]) / len(closed) if closed else 0.0,
        "mediation_entry_share": len(mediated) / len(filed) if filed else 0.0,
        "mediation_success_rate": mediation_agreements / mediation_ended if mediation_ended else 0.0,
        "litigation_share": len([d for d in closed if d.channel == LITIGATION]) / len(closed) if closed else 0.0,
        "disputes_closed": len(closed),
        "disputes_open_at_end": world.disputes.n_open,
        "out_of_pocket_share": tot["out_of_pocket_yuan"] / max(tot["cost_yuan"], 1e-9),
        "primary_care_visit_share": tot["visits_primary"] / max(tot["visits"], 1.0),
        "visits_per_hospital_year": float(fa.visits[hospital].sum() * per_hospital_year),
        "mean_wait_days": ledger.wait_sum / episodes,
        "mean_satisfaction": ledger.satisfaction_sum / episodes,
        "failure_rate": tot["failures"] / episodes,
        "doctor_attrition": tot["doctors_left"] / doctor_years,
        "doctors_vacant_at_end": int(world.doctors.vacant().sum()),
        "mean_burnout": float(world.doctors.burnout.mean()),
        "media_stories": int(tot["media_stories"]),
        "violence_after_complaint_share": (
            sum(v["after_complaint"] for v in violence_log) / n_violent if n_violent else 0.0
        ),
        # money: policies' costs, the system's accounts, yuan per hospital-year (sim.mechanisms.accounting)
        **cost_summary(world, cfg, per_hospital_year),
        "seed": cfg.seed,
        "policies": cfg.policies.enabled(),
        "scale": cfg.scale.name,
        "days": world.day,
        "n_patients": world.patients.n,
        "n_doctors": world.doctors.n,
        "n_hospitals": n_hospitals,
        "n_clinics": int((~hospital).sum()),
        "n_mediators": len(mediators),
        "n_media_outlets": len(world.outlets),
        "version": __version__,
        "wall_seconds": wall_seconds,
        **yearly(model),
    }
    # strict JSON: a figure that is undefined (no episode, no payout, no time measured) is null
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in summary.items()}


#: Statistics of each calendar year of a dated run (``<key>_<year>`` in the summary).
YEARLY = (
    "disputes_per_hospital",
    "violent_incidents_per_hospital",
    "disturbances_per_hospital",
    "doctors_injured_per_hospital",
    "primary_care_visit_share",
    "out_of_pocket_share",
    "mean_satisfaction",
    "mean_compensation_yuan",
    "max_compensation_yuan",
    "mediation_entry_share",
    "mediation_success_rate",
    "violence_after_complaint_share",
    "mean_trust",
    "mean_trust_primary",
    "mean_mediated_payout_yuan",
    "median_court_award_yuan",
    "court_after_mediation_share",
)


def court_after_mediation_share(disputes) -> float:
    """Of the disputes whose mediation has ended (closed in mediation, or moved on), the share
    that went to court afterwards (Guangdong 2013-15: 10 %)."""
    ended = court = 0
    for d in disputes:
        if MEDIATION not in d.channels:
            continue
        after = d.channels[d.channels.index(MEDIATION) + 1 :]
        if after or d.closed_day is not None:
            ended += 1
            court += LITIGATION in after
    return court / ended if ended else float("nan")


def _mean(values) -> float:
    return float(np.mean(values)) if values else float("nan")


def _median(values) -> float:
    return float(np.median(values)) if values else float("nan")


#: Hospitals behind the sources' mid-2000s figures (66 disputes a hospital-year, a mean payout of
#: 108,100 yuan, the largest about 3,000,000): a survey of 270 hospitals (Chinese Hospital
#: Association, 2006; recalled, not re-checked offline: the source documents give no count). A
#: run's ``largest_compensation_yuan`` is the largest payout expected among that many hospitals'.
SURVEYED_HOSPITALS = 270


def yearly(model) -> dict:
    """For a run with a calendar (``start_date``): the figures of each complete or partial
    calendar year it observed, as ``<statistic>_<year>`` (counts per secondary or tertiary
    hospital over that year's observed days, scaled to a year). Empty without a calendar."""
    start = model.start_date
    if start is None or model.day <= 0:
        return {}
    world = model.world
    frame = model.timeseries()
    years = frame["date"].dt.year.to_numpy()
    day_year = dict(zip(frame["day"].to_numpy(), years, strict=True))
    n_hospitals = max(int((world.facilities.tier > PRIMARY).sum()), 1)
    out = {}
    acts = world.ledger.violence_log
    disputes = world.disputes.all
    # the share of the model's (broad) disputes of the kind the committees take, which the NHC counts
    eligible = model.config.params.disputes.mediation_eligible_share
    for year in np.unique(years):
        rows = frame[years == year]
        scale = 365.0 / len(rows) / n_hospitals  # per hospital and year
        hospital_acts = [a for a in acts if a["tier"] > 0 and day_year.get(a["day"]) == year]
        filed = [d for d in disputes if d.filed_day >= 0 and day_year.get(d.filed_day) == year]
        closed = [d for d in disputes if d.closed_day is not None and day_year.get(d.closed_day) == year]
        paid = [d.compensation_yuan for d in closed if d.compensation_yuan > 0]
        paid_scales = [d.payout_scale for d in closed if d.compensation_yuan > 0]
        ended = [agreed for day, agreed in world.ledger.mediation_log if day_year.get(day) == year]
        entered = sum(MEDIATION in d.channels for d in filed)
        year_acts = [a for a in acts if day_year.get(a["day"]) == year]
        stats = {
            "disputes_per_hospital": rows["disputes_hospital"].sum() * scale,
            "violent_incidents_per_hospital": len(hospital_acts) * scale,
            "disturbances_per_hospital": sum(a["kind"] == "disturbance" for a in hospital_acts) * scale,
            "doctors_injured_per_hospital": sum(a["doctor_injured"] >= 0 for a in hospital_acts) * scale,
            "primary_care_visit_share": rows["visits_primary"].sum() / max(rows["visits"].sum(), 1.0),
            "out_of_pocket_share": rows["out_of_pocket_yuan"].sum() / max(rows["cost_yuan"].sum(), 1e-9),
            "mean_satisfaction": float(np.nanmean(rows["mean_satisfaction"])) if len(rows) else float("nan"),
            "mean_compensation_yuan": float(np.mean(paid)) if paid else 0.0,
            "max_compensation_yuan": float(np.max(paid)) if paid else 0.0,
            # the payout the surveyed hospitals' payouts of a year would exceed once, under the
            # run's payout law and its mix of harms and channels (what a survey's maximum measures)
            "largest_compensation_yuan": float(
                expected_largest_payout(
                    paid_scales,
                    model.config.params.disputes.compensation_median_yuan,
                    model.config.params.disputes.compensation_sigma,
                    SURVEYED_HOSPITALS * len(paid) * scale,
                )
            ),
            "mediation_entry_share": entered / len(filed) if filed else 0.0,
            "mediation_entry_share_of_eligible": (
                float("nan")  # no dispute is of the committees' kind: undefined (null in summary.json)
                if not eligible
                else entered / (len(filed) * eligible)
                if filed
                else 0.0
            ),
            "mediation_success_rate": float(np.mean(ended)) if ended else 0.0,
            "mediations_per_hospital": len(ended) * scale,
            "mediation_agreements_per_hospital": sum(ended) * scale,
            "violence_after_complaint_share": (
                sum(a["after_complaint"] for a in year_acts) / len(year_acts) if year_acts else 0.0
            ),
            "mean_trust": float(rows["mean_trust"].iloc[-1]),
            "mean_trust_primary": float(rows["mean_trust_primary"].iloc[-1]),
            "mean_mediated_payout_yuan": _mean(
                [d.compensation_yuan for d in closed if d.channel == MEDIATION and d.compensation_yuan > 0]
            ),
            "median_court_award_yuan": _median(
                [d.compensation_yuan for d in closed if d.channel == LITIGATION and d.compensation_yuan > 0]
            ),
            "court_after_mediation_share": court_after_mediation_share(filed),
        }
        out.update({f"{key}_{int(year)}": float(value) for key, value in stats.items()})
    return out
