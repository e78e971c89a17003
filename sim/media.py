"""Mechanism 11 (media): outlets cover disputes and violence and move their audience's trust.

Media are local: the population is divided into areas (one per ``patients_per_media_outlet``
residents; a resident's area is that of their home clinic, a facility's is assigned evenly
within its tier), each with one outlet that reaches ``audience_share`` of the area's residents
and reports on the area's facilities. Each outlet covers each of its area's incidents with
probability ``coverage x sensationalism`` (violence far more than disputes). A story's tone is
negative, -(0.5 + sensationalism); the
hospital's crisis-PR response shapes it: hiding (the deck's "ostrich policy") amplifies it,
an open response halves it and, with probability ``forgiveness``, turns it positive (the deck's
hospital that admitted an error and was forgiven). Responsible media cut sensationalism and add
balanced positive stories. A story moves only its audience:
``t -= impact |tone| t`` for bad news, ``t += impact tone (1 - t)`` for good news.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import TrustModel


@dataclass
class Story:
    outlet: int
    day: int
    kind: str  # "dispute", "violence" or "positive"
    facility: int  # -1 for a general story
    tone: float  # < 0 lowers trust, > 0 raises it
    open_response: bool = False


def move_trust(trust: np.ndarray, audience: np.ndarray, tone: float, impact: float) -> None:
    t = trust[audience]
    if tone < 0:
        trust[audience] = t - impact * (-tone) * t
    else:
        trust[audience] = t + impact * tone * (1 - t)


def areas(tier: np.ndarray, n_areas: int) -> np.ndarray:
    """Area of each facility: each tier's facilities spread evenly over the areas."""
    area = np.zeros(tier.size, dtype=np.int64)
    for t in np.unique(tier):
        members = np.flatnonzero(tier == t)
        area[members] = np.arange(members.size) * n_areas // members.size
    return area


def daily(model: TrustModel) -> None:
    rng = model.streams.media
    levers = model.levers
    for kind, facility, _magnitude in model.incidents:
        open_response = rng.random() < levers.transparency
        forgiven = open_response and rng.random() < levers.forgiveness
        outlet = model.outlets[model.facility_area[facility]]  # the local outlet covers it
        story = outlet.cover(kind, facility, open_response, forgiven)
        if story is not None:
            outlet.publish(story)
    for outlet in model.outlets:
        for _ in range(rng.poisson(levers.positive_story_rate)):
            outlet.publish(Story(outlet.index, model.day, "positive", -1, 0.5))
