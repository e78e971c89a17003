"""Responsible media: objective reporting instead of sensationalism.

Mechanism: outlets cover fewer incidents and in a milder tone, and publish balanced positive
stories (``sim.mechanisms.media``). Sources: MISSION.md remedies; Giardini & Vilone, JASSS 2021
(alarming news spreads more easily).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.config.fields import param, unit
from sim.policies.base import Policy, PolicyParams
from sim.policies.costs import PolicyPrices, price, programme


@dataclass
class MediaResponsibilityParams(PolicyParams):
    sensationalism_cut: float = unit(0.6, "share of sensationalism removed", null=0.0)
    positive_story_rate: float = param(0.02, 0, 1, "balanced positive stories per outlet per day", null=0.0)


@dataclass
class MediaResponsibilityPrices(PolicyPrices):
    programme_yuan_per_outlet_year: float = price(
        200_000,
        50_000,
        500_000,
        "regulation, journalists' training and fact-checking to remove all sensationalism (sensationalism_cut "
        "1), yuan per outlet-year",
    )
    story_yuan: float = price(5_000, 1_000, 20_000, "producing and placing one balanced positive story, yuan")


class MediaResponsibility(Policy):
    name = "media_responsibility"
    label = "Responsible media"
    summary = "Objective reporting instead of sensationalism."
    Params = MediaResponsibilityParams
    main_intensity = "sensationalism_cut"
    dose_levels = (0.0, 0.25, 0.5, 0.75, 1.0)
    moves = ("sensationalism_cut", "positive_story_rate")
    Prices = MediaResponsibilityPrices

    def levers(self, base):
        p = self.params
        return {"sensationalism_cut": p.sensationalism_cut, "positive_story_rate": p.positive_story_rate}

    def spending(self, books):
        """The programme for every outlet, in proportion to ``sensationalism_cut``; the positive
        stories the policy adds (``positive_story_rate`` per outlet and day, expected)."""
        p = self.params
        return {
            "programme": programme(books.outlets * p.sensationalism_cut * books.year, "programme_yuan_per_outlet_year"),
            "positive_stories": programme(books.outlets * p.positive_story_rate, "story_yuan"),
        }
