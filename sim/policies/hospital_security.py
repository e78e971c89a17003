"""Hospital security: guards and police posts in hospitals.

Mechanism: at a secured hospital guards stop part of the assaults before anyone is injured, and
a police post on site punishes part of the violent acts on the spot, which raises the net risk
of acting (Epstein 2002) on top of what the courts do (legal deterrence, a policy of its own). Until coverage is
resolved facility by facility, ``secured_share`` acts as the expected share: the levers are the
share of all assaults stopped and the chance of an on-site arrest averaged over hospitals.
Sources: HISTORY.md A3 (2012-04 joint notice on order in hospitals; 2012-05 police posts
required in grade II and above hospitals; 2013 guideline: guards at least 3 % of staff; 2014-02
police officers in about 1,000 top hospitals; by 2017-02, 85 % of large hospitals had police
offices).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams


@dataclass
class HospitalSecurityParams(PolicyParams):
    secured_share: float = unit(
        0.85,
        "share of hospitals with a police post and guards at the guideline level (3 % of staff)",
        "HISTORY.md A3: 85 % of large hospitals had police offices by 2017-02",
        null=0.0,
    )
    interception: float = unit(0.5, "share of assaults at a secured hospital stopped before anyone is injured")
    on_site_arrest: float = unit(0.3, "chance a violent act at a secured hospital is punished on the spot")


class HospitalSecurity(Policy):
    name = "hospital_security"
    label = "Hospital security"
    summary = "Guards and police posts in hospitals."
    Params = HospitalSecurityParams
    main_intensity = "secured_share"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    moves = ("security", "police_arrest")

    def levers(self, base):
        p = self.params
        return {"security": p.secured_share * p.interception, "police_arrest": p.secured_share * p.on_site_arrest}
