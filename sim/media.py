"""Mechanism 11 (media): outlets cover disputes and violence and move their audience's trust.

Each outlet covers each of the day's incidents with probability ``coverage x sensationalism``
(violence far more than disputes). A story's tone is negative, -(0.5 + sensationalism); the
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


def daily(model: TrustModel) -> None:
    rng = model.streams.media
    levers = model.levers
    for kind, facility, _magnitude in model.incidents:
        open_response = rng.random() < levers.transparency
        forgiven = open_response and rng.random() < levers.forgiveness
        for outlet in model.outlets:
            story = outlet.cover(kind, facility, open_response, forgiven)
            if story is not None:
                outlet.publish(story)
    for outlet in model.outlets:
        for _ in range(rng.poisson(levers.positive_story_rate)):
            outlet.publish(Story(outlet.index, model.day, "positive", -1, 0.5))
