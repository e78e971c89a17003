"""Hospital crisis PR: respond fast, openly and sincerely.

Mechanism: after an incident a transparent hospital halves a story's negative tone and may be
forgiven (a positive story); a hospital that hides (the deck's "ostrich policy") amplifies it;
openness also helps negotiations end in agreement. Source: the crisis-PR slide deck (seeds/).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import unit
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, programme


@dataclass
class CrisisPRParams(PolicyParams):
    transparency: float = unit(0.8, "chance a hospital responds openly to an incident", null=0.0)
    forgiveness: float = unit(0.5, "chance an open response turns a story's tone positive (a qualifier)")


@dataclass
class CrisisPRPrices(PolicyPrices):
    office_yuan_per_hospital_year: float = price(
        60_000,
        20_000,
        150_000,
        "a hospital's spokesperson, protocols and staff training at transparency 1, yuan per hospital-year",
    )
    response_yuan_per_incident: float = price(
        2_000, 500, 10_000, "an open response to one incident (inquiry, statement, meeting the family), yuan"
    )


class CrisisPR(Policy):
    name = "crisis_pr"
    label = "Crisis PR"
    summary = "Hospital crisis PR: respond fast, openly and sincerely."
    Params = CrisisPRParams
    main_intensity = "transparency"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    moves = ("transparency", "forgiveness")
    Prices = CrisisPRPrices

    def levers(self, base):
        p = self.params
        return {"transparency": p.transparency, "forgiveness": p.forgiveness}

    def spending(self, books):
        """Crisis-PR offices in proportion to ``transparency``; an open response to each of the
        day's incidents (disputes filed and violent acts) with chance ``transparency`` (expected)."""
        t = self.params.transparency
        return {
            "offices": programme(books.hospitals * t * books.year, "office_yuan_per_hospital_year"),
            "responses": programme(books.incidents * t, "response_yuan_per_incident"),
        }
