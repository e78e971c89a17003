"""Third-party medical dispute mediation centres (医疗纠纷人民调解), impartial and professional.

Mechanism: centres with professional mediators take a share of new disputes (and of failed
negotiations) of the kind the committees handle (``params.disputes.mediation_eligible_share`` of
the model's broad count, calibrated on the 2011 volume); each mediator works on a few cases at
a time, a case lasts a gamma-distributed time and ends in agreement with a chance that rises
with impartiality (``sim.mechanisms.mediation``).
Sources: MISSION.md remedies; HISTORY.md A2 (committees from 2010-01); NHC 2018 (over 60 % of
disputes, over 85 % success); Guangdong 2013-15 (87 days on average).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import param, unit
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, programme


@dataclass
class MediationParams(PolicyParams):
    uptake: float = unit(
        0.65,
        "share of new disputes (and of failed negotiations) of the kind the committees take that go to mediation "
        "(that kind: params.disputes.mediation_eligible_share of the model's disputes)",
        "NHC 2018: over 60%",
        null=0.0,
    )
    mediators_per_100k: float = param(6.0, 0, 100, "mediators per 100,000 residents (a qualifier)")
    capacity: int = param(8, 0, 100, "cases one mediator handles in parallel (a qualifier)")
    impartiality: float = unit(
        0.96,
        "impartiality and professionalism of mediators (a qualifier): success = max_success x impartiality",
        "MoH 2012-05-08: 81.6 % of the disputes mediated Jan-Oct 2011 settled (0.816 / 0.85)",
    )
    mean_duration_days: float = param(
        87, 1, 730, "mean duration of a mediation case (a qualifier)", "Guangdong 2013-15: 87 days"
    )
    max_success: float = unit(0.85, "agreement rate of a fully impartial mediator (a qualifier)", "NHC 2018: over 85%")


@dataclass
class MediationPrices(PolicyPrices):
    mediator_salary_yuan_per_year: float = price(
        60_000, 40_000, 100_000, "employer's cost of one full-time professional mediator, yuan per year"
    )
    centre_overhead_yuan_per_year: float = price(
        150_000,
        50_000,
        400_000,
        "a centre's premises, administration and support staff, yuan per centre-year (one centre per 100,000 "
        "residents)",
    )
    appraisal_yuan_per_case: float = price(
        1_500, 500, 5_000, "medical experts' appraisal of a mediated case, yuan per case taken up"
    )


class Mediation(Policy):
    name = "mediation"
    label = "Mediation centres"
    summary = "Third-party medical dispute mediation centres, impartial and professional."
    Params = MediationParams
    main_intensity = "uptake"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    assumed = ("uptake",)
    moves = (
        "mediation_uptake",
        "mediators_per_100k",
        "mediator_capacity",
        "mediator_impartiality",
        "mediation_days",
        "mediation_max_success",
    )
    Prices = MediationPrices

    def levers(self, base):
        p = self.params
        return {
            "mediation_uptake": p.uptake,
            "mediators_per_100k": p.mediators_per_100k,
            "mediator_capacity": p.capacity,
            "mediator_impartiality": p.impartiality,
            "mediation_days": p.mean_duration_days,
            "mediation_max_success": p.max_success,
        }

    def spending(self, books):
        """The mediators' salaries and the centres' overheads while the centres are open; an
        expert appraisal for every case a mediator takes up (mediation is free to the parties)."""
        return {
            "mediator_salaries": programme(books.mediators * books.year, "mediator_salary_yuan_per_year"),
            "centre_overheads": programme(books.centres * books.year, "centre_overhead_yuan_per_year"),
            "expert_appraisals": programme(books.mediation_cases_started, "appraisal_yuan_per_case"),
        }
