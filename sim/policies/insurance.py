"""Better insurance coverage: a lower out-of-pocket share.

Mechanism: insurance reimburses a larger share of every bill and covers more residents, which
lowers the out-of-pocket price (tier choice), the cost burden (expectations, satisfaction,
disputes) and the money a harmed patient loses (hardship). Both intensities close a share of a
pre-reform gap, so they mean the same whatever the calibrated pre-reform coverage of each tier:
``coverage_gain`` of the gap to full reimbursement at every tier, ``enrolment_gain`` of the
uninsured. Sources: MISSION.md (incomplete insurance); HISTORY.md A1 (out-of-pocket share of
health spending 49 % in 2006 to 28 % in 2019; insured adults 27.7 % in 2003 to 96.4 % in 2011).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, programme, reimbursement


@dataclass
class InsuranceParams(PolicyParams):
    coverage_gain: float = unit(
        0.45,
        "share of the pre-reform gap to full reimbursement closed, at every tier",
        "HISTORY.md A1: out-of-pocket share 49 % (2006) to 34 % (2012)",
        null=0.0,
    )
    enrolment_gain: float = unit(
        0.5,
        "share of the pre-reform uninsured who become insured",
        "HISTORY.md A1: insured adults 27.7 % (2003) to 96.4 % (2011), Fu et al. 2014",
        null=0.0,
    )


@dataclass
class InsurancePrices(PolicyPrices):
    administration_share: float = price(
        0.05, 0.02, 0.1, "administration cost of the insurer per yuan of extra reimbursement (ratio)"
    )


class Insurance(Policy):
    name = "insurance"
    label = "Insurance coverage"
    summary = "Better insurance coverage: a lower out-of-pocket share."
    Params = InsuranceParams
    main_intensity = "coverage_gain"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    moves = ("coverage", "uninsured_share")
    Prices = InsurancePrices

    def levers(self, base):
        p = self.params
        return {
            "coverage": base.coverage + p.coverage_gain * (1 - base.coverage),
            "uninsured_share": base.uninsured_share * (1 - p.enrolment_gain),
        }

    def spending(self, books):
        """Extra reimbursement, computed from each of the day's episodes: what insurance paid (cost
        minus out of pocket) against what it would have paid for the same episode at the pre-reform
        coverage and enrolment; and the insurer's administration of it."""
        extra = books.extra_reimbursement(self.name)
        return {
            "extra_reimbursement": reimbursement(extra),
            "administration": programme(extra, "administration_share"),
        }
