"""What a run reports: the daily series (Mesa DataCollector reporters) and the summary.

The summary (``summary.json``) is one flat JSON object of headline figures. Per-hospital
figures count secondary and tertiary hospitals only (not primary clinics), per year of
simulated time, as in the source documents' per-hospital figures.
"""

from __future__ import annotations

import numpy as np

from sim.engine.institutions import LITIGATION, MEDIATION
from sim.engine.ledger import DAILY_COUNTS
from sim.engine.state import PRIMARY
from sim.mechanisms.accounting import cost_summary
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
    return {
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
    }
