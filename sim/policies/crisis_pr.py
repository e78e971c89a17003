"""Hospital crisis PR: respond fast, openly and sincerely.

Mechanism: after an incident a transparent hospital halves a story's negative tone and may be
forgiven (a positive story); a hospital that hides (the deck's "ostrich policy") amplifies it;
openness also helps negotiations end in agreement. Source: the crisis-PR slide deck (seeds/).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams


@dataclass
class CrisisPRParams(PolicyParams):
    transparency: float = unit(0.8, "chance a hospital responds openly to an incident", null=0.0)
    forgiveness: float = unit(0.5, "chance an open response turns a story's tone positive (a qualifier)")


class CrisisPR(Policy):
    name = "crisis_pr"
    label = "Crisis PR"
    summary = "Hospital crisis PR: respond fast, openly and sincerely."
    Params = CrisisPRParams
    main_intensity = "transparency"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    moves = ("transparency", "forgiveness")

    def levers(self, base):
        p = self.params
        return {"transparency": p.transparency, "forgiveness": p.forgiveness}
