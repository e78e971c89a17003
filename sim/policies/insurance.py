"""Better insurance coverage: a lower out-of-pocket share.

Mechanism: insurance reimburses a larger share of every bill and covers more residents, which
lowers the out-of-pocket price (tier choice), the cost burden (expectations, satisfaction,
disputes) and the money a harmed patient loses (hardship). Sources: MISSION.md (incomplete
insurance); HISTORY.md A1 (out-of-pocket share 49 % in 2006 to 28 % in 2019).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams


@dataclass
class InsuranceParams(PolicyParams):
    coverage: float = unit(0.7, "reimbursement share at hospitals", "Zhu et al. 2022: OOP 34.4% (2012)")
    coverage_primary: float = unit(0.8, "reimbursement share at clinics")
    uninsured_share: float = unit(0.05, "share of residents left without insurance")


class Insurance(Policy):
    name = "insurance"
    label = "Insurance coverage"
    summary = "Better insurance coverage: a lower out-of-pocket share."
    Params = InsuranceParams
    main_intensity = "coverage"
    dose_levels = (0.4, 0.55, 0.7, 0.85, 1.0)
    moves = ("coverage", "uninsured_share")

    def levers(self, base):
        p = self.params
        return {
            "coverage": np.array([p.coverage_primary, p.coverage, p.coverage]),
            "uninsured_share": p.uninsured_share,
        }
