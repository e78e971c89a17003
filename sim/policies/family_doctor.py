"""Family-doctor contracts: long-term doctor-resident relationships.

Mechanism: contracted residents go to their family doctor first, trust primary care more and
get better explanations from a doctor who knows them. Sources: MISSION.md remedies; HISTORY.md
A5 (2016 guideline: over 30 % of the population by 2017).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, programme


@dataclass
class FamilyDoctorParams(PolicyParams):
    enrolment: float = unit(
        0.4, "share of residents with a contract", "HISTORY.md A5: 22.2 % in pilot cities, 2016", null=0.0
    )
    first_contact: float = unit(0.8, "chance a contracted resident goes to the family doctor first (a qualifier)")
    trust_gain: float = unit(0.3, "trust in primary care gained by contracted residents (a qualifier)")
    explanation_gain: float = unit(0.3, "extra explanation quality from continuity of care (a qualifier)")


@dataclass
class FamilyDoctorPrices(PolicyPrices):
    contract_fee_yuan_per_resident_year: float = price(
        120,
        50,
        300,
        "signing fee paid for each contracted resident, yuan per resident-year",
        "assumption; pilot cities' fees were of the order of 100-150 yuan (recalled, not re-checked offline)",
    )


class FamilyDoctor(Policy):
    name = "family_doctor"
    label = "Family doctors"
    summary = "Family-doctor contracts: long-term doctor-resident relationships."
    Params = FamilyDoctorParams
    main_intensity = "enrolment"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    assumed = ("first_contact", "trust_gain", "explanation_gain")
    moves = ("family_enrolment", "family_first_contact", "family_trust_gain", "family_explanation_gain")
    Prices = FamilyDoctorPrices

    def levers(self, base):
        p = self.params
        return {
            "family_enrolment": p.enrolment,
            "family_first_contact": p.first_contact,
            "family_trust_gain": p.trust_gain,
            "family_explanation_gain": p.explanation_gain,
        }

    def spending(self, books):
        """The fee of every contracted resident (those whose contract draw is below ``enrolment``)."""
        return {
            "contract_fees": programme(
                books.contracted(self.params.enrolment) * books.year, "contract_fee_yuan_per_resident_year"
            )
        }
