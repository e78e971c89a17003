"""Tiered care (分级诊疗): primary care first, referral upwards, investment in primary care.

Mechanism: non-emergency episodes must start at a clinic (gatekeeping); clinics refer cases
beyond their capability; investment raises clinics' capability, doctors' skill and staffing;
clinics reimburse more of the bill (price differential). Sources: MISSION.md remedies (weak
primary care, delayed referral); HISTORY.md A4 (State Council guideline 2015-09, pilots
2016-2017).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, programme, reimbursement


@dataclass
class TieredCareParams(PolicyParams):
    gatekeeping: float = unit(0.7, "share of non-emergency episodes that must start at a clinic", null=0.0)
    emergency_severity: float = unit(0.8, "severity above which gatekeeping is bypassed (a qualifier)")
    referral_gain: float = unit(
        0.8, "share of the gap to always referring closed: clinics refer more cases beyond their capability", null=0.0
    )
    primary_investment: float = unit(
        0.5,
        "raises clinic capability and quality (1: to secondary level) and clinic staffing (1: doubled)",
        null=0.0,
    )
    price_differential: float = unit(
        0.5, "extra reimbursement at clinics: share of the gap to full coverage closed there", null=0.0
    )


@dataclass
class TieredCarePrices(PolicyPrices):
    clinic_investment_yuan_per_clinic_year: float = price(
        300_000,
        100_000,
        1_000_000,
        "annualised investment in a clinic's equipment and premises at primary_investment 1 (capability raised "
        "to a secondary hospital's), yuan per clinic-year",
    )


class TieredCare(Policy):
    name = "tiered_care"
    label = "Tiered care"
    summary = "分级诊疗: primary care first, referral upwards, investment in primary care."
    Params = TieredCareParams
    main_intensity = "gatekeeping"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    assumed = ("gatekeeping", "referral_gain", "primary_investment", "price_differential")
    moves = (
        "gatekeeping",
        "emergency_severity",
        "referral_probability",
        "capability",
        "clinic_quality_gain",
        "clinic_capacity_gain",
        "clinic_price_gain",
    )
    Prices = TieredCarePrices

    def levers(self, base):
        p = self.params
        capability = base.capability.copy()
        capability[0] = capability[0] + p.primary_investment * (capability[1] - capability[0])
        return {
            "gatekeeping": p.gatekeeping,
            "emergency_severity": p.emergency_severity,
            "referral_probability": base.referral_probability + p.referral_gain * (1 - base.referral_probability),
            "capability": capability,
            "clinic_quality_gain": p.primary_investment,
            "clinic_capacity_gain": p.primary_investment,  # staff and equipment: 1 doubles capacity
            "clinic_price_gain": p.price_differential,
        }

    def spending(self, books):
        """Investment in clinics (in proportion to ``primary_investment``); the extra clinic staff it
        buys (``clinic_capacity_gain`` x the clinic doctors in post, at a primary-care doctor's pay);
        the extra reimbursement of the price differential at clinics, from the day's episodes."""
        p = self.params
        return {
            "clinic_investment": programme(
                books.clinics * p.primary_investment * books.year, "clinic_investment_yuan_per_clinic_year"
            ),
            "clinic_staff": programme(
                books.clinic_doctors_in_post * p.primary_investment * books.year,
                "shared.doctor_salary_yuan_per_year",
                "shared.clinic_pay_ratio",
            ),
            "price_differential": reimbursement(books.extra_reimbursement(self.name)),
        }
