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

import numpy as np

from sim.config.schema import MediaParams
from sim.engine.institutions import OutletRecord, Story
from sim.engine.streams import KeyedDraws
from sim.engine.world import World
from sim.mechanisms.base import Mechanism

#: Purposes of the draws keyed by the resident behind an incident (a disputant or a perpetrator)
#: and the day, one set per kind of incident; positive stories are keyed by outlet.
OPEN, FORGIVEN, COVERED = range(3)
KIND_OFFSET = {"dispute": 0, "violence": 3}
POSITIVE = 6


def move_trust(trust: np.ndarray, audience: np.ndarray, tone: float, impact: float) -> None:
    """A story moves its audience a share ``impact x |tone|`` (at most all) of the way towards 0
    (bad news) or 1 (good news): trust stays in [0, 1] by construction."""
    t = trust[audience]
    share = min(1.0, impact * abs(tone))
    if tone < 0:
        trust[audience] = t - share * t
    else:
        trust[audience] = t + share * (1 - t)


def sensationalism(outlet: OutletRecord, levers) -> float:
    """An outlet's sensationalism today: its own, less what responsible-media policy removes."""
    return outlet.base_sensationalism * (1 - levers.sensationalism_cut)


class Media(Mechanism):
    """The local outlet covers (or not) each of the day's incidents in its area; outlets publish
    positive stories; every story moves its audience's trust."""

    name = "media"

    def __init__(self, params: MediaParams, draws: KeyedDraws):
        self.p, self.draws = params, draws

    @classmethod
    def from_config(cls, config, streams) -> Media:
        return cls(config.params.media, streams.keyed("media"))

    def step(self, world: World) -> None:
        levers, day = world.levers, world.day
        for kind, facility, _magnitude, patient in world.ledger.incidents:
            offset = KIND_OFFSET[kind]
            open_response = self.draws.uniform1(day, patient, offset + OPEN) < levers.transparency
            forgiven = open_response and self.draws.uniform1(day, patient, offset + FORGIVEN) < levers.forgiveness
            outlet = world.outlets[world.facility_area[facility]]  # the local outlet covers it
            covered = self.draws.uniform1(day, patient, offset + COVERED)
            story = self.cover(world, outlet, kind, facility, open_response, forgiven, covered)
            if story is not None:
                self.publish(world, outlet, story)
        if levers.positive_story_rate > 0:
            outlets = np.arange(len(world.outlets))
            for index, count in zip(
                outlets, self.draws.poisson_counts(day, outlets, levers.positive_story_rate, POSITIVE), strict=True
            ):
                for _ in range(count):
                    self.publish(world, world.outlets[index], Story(int(index), day, "positive", -1, 0.5))

    def cover(
        self,
        world: World,
        outlet: OutletRecord,
        kind: str,
        facility: int,
        open_response: bool,
        forgiven: bool,
        u: float = 0.0,
    ) -> Story | None:
        """A story on an incident when the uniform ``u`` falls below ``coverage x sensationalism``;
        its tone."""
        p = self.p
        sens = sensationalism(outlet, world.levers)
        coverage = p.coverage_violence if kind == "violence" else p.coverage_dispute
        if u >= coverage * sens:
            return None
        tone = -(0.5 + sens)
        if forgiven:
            tone = 0.5
        elif open_response:
            tone *= 0.5
        else:
            tone *= p.ostrich_amplification
        return Story(outlet.index, world.day, kind, facility, tone, open_response)

    def publish(self, world: World, outlet: OutletRecord, story: Story) -> None:
        """The story moves its audience's trust in doctors, and part of the way their trust in
        primary clinics (``primary_share``: a story is about doctors)."""
        move_trust(world.patients.trust, outlet.audience, story.tone, self.p.story_impact)
        if self.p.primary_share > 0:
            move_trust(
                world.patients.trust_primary, outlet.audience, story.tone, self.p.story_impact * self.p.primary_share
            )
        outlet.stories.append(story)
        world.ledger.today["media_stories"] += 1
