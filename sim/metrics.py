"""The run's summary: the headline figures of ``summary.json``, one flat JSON object.

Per-hospital figures count secondary and tertiary hospitals only (not primary clinics), per
year of simulated time, as in the source documents' per-hospital figures.
"""

from __future__ import annotations

import numpy as np

from sim import __version__
from sim.disputes import LITIGATION, MEDIATION
from sim.health_system import PRIMARY


def summarise(model, wall_seconds: float = float("nan")) -> dict:
    cfg = model.config
    fa, tot = model.facilities, model.totals
    years = max(model.day, 1) / 365.0
    hospital = fa.tier > PRIMARY
    n_hospitals = int(hospital.sum())
    per_hospital_year = 1.0 / (n_hospitals * years)
    closed = model.disputes.closed()
    filed = model.disputes.filed()
    compensated = np.array([d.compensation_yuan for d in closed if d.compensation_yuan > 0])
    mediated = [d for d in filed if MEDIATION in d.channels]
    mediation_agreements = sum(m.agreements for m in model.mediators)
    mediation_ended = sum(m.cases_closed for m in model.mediators)
    violence_log = model.violence_log
    n_violent = len(violence_log)
    doctor_years = model.doctors.n * years
    trust = model.patients.trust
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
        "mean_trust_primary": float(model.patients.trust_primary.mean()),
        "share_low_trust": float((trust < 0.3).mean()),
        "system_legitimacy": float(model.disputes.legitimacy),
        "mediation_share": len([d for d in closed if d.channel == MEDIATION]) / len(closed) if closed else 0.0,
        "mediation_entry_share": len(mediated) / len(filed) if filed else 0.0,
        "mediation_success_rate": mediation_agreements / mediation_ended if mediation_ended else 0.0,
        "litigation_share": len([d for d in closed if d.channel == LITIGATION]) / len(closed) if closed else 0.0,
        "disputes_closed": len(closed),
        "disputes_open_at_end": model.disputes.n_open,
        "out_of_pocket_share": tot["out_of_pocket_yuan"] / max(tot["cost_yuan"], 1e-9),
        "primary_care_visit_share": tot["visits_primary"] / max(tot["visits"], 1.0),
        "visits_per_hospital_year": float(fa.visits[hospital].sum() * per_hospital_year),
        "mean_wait_days": model._wait_sum / max(tot["visits"] - tot["referrals"], 1.0),
        "mean_satisfaction": model._satisfaction_sum / max(tot["visits"] - tot["referrals"], 1.0),
        "failure_rate": tot["failures"] / max(tot["visits"] - tot["referrals"], 1.0),
        "doctor_attrition": tot["doctors_left"] / doctor_years,
        "doctors_vacant_at_end": int(model.doctors.vacant().sum()),
        "mean_burnout": float(model.doctors.burnout.mean()),
        "media_stories": int(tot["media_stories"]),
        "violence_after_complaint_share": (
            sum(v["after_complaint"] for v in violence_log) / n_violent if n_violent else 0.0
        ),
        "seed": cfg.seed,
        "policies": cfg.policies.enabled(),
        "scale": cfg.scale.name,
        "days": model.day,
        "n_patients": model.patients.n,
        "n_doctors": model.doctors.n,
        "n_hospitals": n_hospitals,
        "n_clinics": int((~hospital).sum()),
        "n_mediators": len(model.mediators),
        "n_media_outlets": len(model.outlets),
        "version": __version__,
        "wall_seconds": wall_seconds,
    }
