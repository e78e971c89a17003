"""A resident's story as it happens: what a few watched residents live through, day by day.

The model keeps per-resident state (``model.patients``), notable events (``patient.history``:
disputes filed, violent acts) and, with ``record_episodes=true``, every episode of everyone.
None of it says what a resident was *told*, nor which part of the day moved their trust. A
:class:`Watch` records that for a few residents only, so it costs nothing in ordinary runs (it
is off unless attached) and little when on (a few array look-ups per day; measured in
``docs/performance.md``):

    watch = Watch.attach(model, [12, 345])   # from the model's next day on
    model.run(days=90)
    watch.events(12)    # episodes, what contacts and the media told them, with the trust they moved
    watch.series(12)    # trust in doctors and in primary clinics at the end of each day

It is an observer of the model (``TrustModel.observers``): the model calls :meth:`start_day`
after the day's levers are set, :meth:`after` after each mechanism of the schedule, and
:meth:`end_day` once the day is recorded. It reads the world and never changes it, draws no
random number, so a watched run gives the numbers of an unwatched one (tests/test_watch.py).

What is recorded for each watched resident:

- ``episode`` (after care): the episode of care, its tier, facility and doctor, referral,
  outcome, harm, cost and the part paid out of pocket, wait, expectation, explanation and
  satisfaction;
- ``heard`` (after trust): each contact who had an episode today told of it (word of mouth tells
  every contact, ``sim.mechanisms.trust``): who, about which tier, the satisfaction told, and
  whether it was within the listener's confidence bound (only then does it move them);
- ``story`` (after media): each story published today by an outlet whose audience the resident
  is in, with its kind, facility, tone and the hospital's response;
- ``trust`` (after any mechanism that moved it): the change in trust in doctors and in primary
  clinics. The trust mechanism's change is split into own experience, word of mouth and the
  drift towards the contacts' mean (DeGroot): the first two computed with the mechanism's own
  functions on the resident alone, the drift as the rest.

Disputes filed and violent acts are in the model's own record (``ledger.history``, the dispute
book); :mod:`sim.analysis.story` puts everything on one timeline.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sim.engine.state import PRIMARY, TIER_NAMES
from sim.mechanisms.trust import own_experience, word_of_mouth

#: Fields of an episode a watch keeps (``sim.engine.state.Episodes``).
EPISODE_FIELDS = (
    "severity",
    "facility",
    "doctor",
    "referred",
    "success",
    "harm",
    "cost_yuan",
    "out_of_pocket_yuan",
    "wait_days",
    "expectation",
    "explanation",
    "satisfaction",
)


class Watch:
    """Records what happens to the watched residents (see the module docstring).

    Args:
        residents: patient indices to watch (more can be added later with :meth:`add`).
        trust_params: the run's ``TrustParams`` (for whether word of mouth reached a listener and
            for the split of the trust mechanism's change); taken from the model by :meth:`attach`.
    """

    def __init__(self, residents: Iterable[int] = (), trust_params=None):
        self.trust_params = trust_params
        self.residents: list[int] = []
        self.since: dict[int, int] = {}  # first day recorded, by resident
        self._pending = list(dict.fromkeys(int(r) for r in residents))
        self._events: dict[int, list[dict]] = {}
        #: (day, trust, trust in clinics) at the end of each day, one entry per watched resident
        #: in the order of ``residents`` (a resident added later is missing from earlier days)
        self._series: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._position: dict[int, int] = {}
        self._index = np.zeros(0, dtype=np.int64)
        self._watched_mask = self._contact_mask = np.zeros(0, dtype=bool)
        self._listeners: dict[int, list[int]] = {}  # a contact -> the watched residents it talks to
        self._outlets: dict[int, list[int]] = {}  # an outlet -> the watched residents in its audience
        # today's news, by watched resident: episodes (positions in world.episodes), what contacts told
        self._today: dict[int, list[int]] = {}
        self._told: dict[int, list[tuple[bool, float]]] = {}
        self._after_own: dict[int, tuple[float, float]] = {}

    @classmethod
    def attach(cls, model, residents: Iterable[int] = ()) -> Watch:
        """A watch of ``residents`` added to ``model.observers`` (recording from the next step)."""
        watch = cls(residents, model.config.params.trust)
        model.observers.append(watch)
        return watch

    def add(self, residents: Iterable[int]) -> None:
        """Watch more residents, from the next day on (their story before that is not recorded)."""
        self._pending += [int(r) for r in residents if int(r) not in self.since and int(r) not in self._pending]

    def watching(self, resident: int) -> bool:
        return int(resident) in self.since or int(resident) in self._pending

    @property
    def watched(self) -> list[int]:
        """Every resident watched or to be watched from the next day."""
        return [*self.residents, *self._pending]

    # ----- the model's hooks ----------------------------------------------------------------
    def _admit(self, world) -> None:
        n, adjacency = world.patients.n, world.adjacency
        if self._watched_mask.size != n:
            self._watched_mask, self._contact_mask = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        for r in self._pending:
            if not 0 <= r < n:
                raise IndexError(f"resident {r} does not exist (residents are 0..{n - 1})")
            self._position[r] = len(self.residents)
            self.residents.append(r)
            self.since[r] = world.day
            self._events[r] = []
            self._watched_mask[r] = True
            for c in adjacency.indices[adjacency.indptr[r] : adjacency.indptr[r + 1]]:
                self._listeners.setdefault(int(c), []).append(r)
                self._contact_mask[c] = True
            for outlet in world.outlets:
                if np.any(outlet.audience == r):
                    self._outlets.setdefault(outlet.index, []).append(r)
        self._pending = []
        self._index = np.array(self.residents, dtype=np.int64)

    def start_day(self, world) -> None:
        if self._pending:
            self._admit(world)
        idx = self._index
        self._trust = world.patients.trust[idx].astype(float)
        self._trust_primary = world.patients.trust_primary[idx].astype(float)
        self._stories = [len(o.stories) for o in world.outlets]
        self._today, self._told, self._after_own = {}, {}, {}

    def after(self, mechanism: str, world) -> None:
        if not self.residents:
            return
        if mechanism == "care":
            self._episodes(world)
        elif mechanism == "trust":
            # own experience comes first in the trust mechanism, from the trust of the last snapshot
            self._after_own = self._own_experience(world)
            self._heard(world)
        elif mechanism == "media":
            self._media(world)
        self._trust_moved(mechanism, world)

    def end_day(self, world) -> None:
        if self.residents:
            idx = self._index
            self._series.append((world.day, world.patients.trust[idx].copy(), world.patients.trust_primary[idx].copy()))

    # ----- what is recorded -------------------------------------------------------------------
    def _note(self, resident: int, day: int, kind: str, **data) -> None:
        self._events[resident].append({"day": day, "kind": kind, **data})

    def _episodes(self, world) -> None:
        ep = world.episodes
        if ep is None or ep.n == 0:
            return
        for k in np.flatnonzero(self._watched_mask[ep.patient]):
            r = int(ep.patient[k])
            self._today.setdefault(r, []).append(int(k))
            data = {name: _plain(getattr(ep, name)[k]) for name in EPISODE_FIELDS if getattr(ep, name) is not None}
            self._note(r, world.day, "episode", tier=TIER_NAMES[int(ep.tier[k])], **data)

    def _heard(self, world) -> None:
        """Word of mouth: each contact with an episode today told of it (each episode is told)."""
        ep = world.episodes
        if ep is None or ep.n == 0:
            return
        bound = self.trust_params.confidence_bound if self.trust_params is not None else None
        for k in np.flatnonzero(self._contact_mask[ep.patient]):
            contact, clinic, told = int(ep.patient[k]), int(ep.tier[k]) == PRIMARY, float(ep.satisfaction[k])
            for r in self._listeners[contact]:
                i = self._position[r]
                # the listener's trust once their own experience of today is in (word of mouth comes next)
                listener = self._after_own.get(r, (self._trust[i], self._trust_primary[i]))[1 if clinic else 0]
                self._told.setdefault(r, []).append((clinic, told))
                self._note(
                    r,
                    world.day,
                    "heard",
                    contact=contact,
                    about="primary clinic" if clinic else "hospital",
                    satisfaction=told,
                    within_bound=None if bound is None else bool(abs(told - listener) < bound),
                )

    def _media(self, world) -> None:
        for outlet, start in zip(world.outlets, self._stories, strict=True):
            for story in outlet.stories[start:]:
                for r in self._outlets.get(outlet.index, ()):
                    self._note(
                        r,
                        world.day,
                        "story",
                        outlet=outlet.index,
                        about=story.kind,
                        facility=story.facility,
                        tone=float(story.tone),
                        open_response=bool(story.open_response),
                    )

    def _trust_moved(self, mechanism: str, world) -> None:
        """A ``trust`` event for each watched resident whose trust the mechanism moved. The trust
        mechanism's drift towards the contacts' mean moves everyone every day: the daily series
        shows it, and its event is kept only when the resident's own or their contacts' news moved them."""
        idx = self._index
        trust, primary = world.patients.trust[idx].astype(float), world.patients.trust_primary[idx].astype(float)
        if mechanism == "trust":
            moved = sorted(self._position[r] for r in set(self._today) | set(self._told))
        else:
            moved = np.flatnonzero((trust != self._trust) | (primary != self._trust_primary))
        for i in moved:
            r = self.residents[i]
            change = {
                "trust_before": float(self._trust[i]),
                "trust_after": float(trust[i]),
                "trust_primary_before": float(self._trust_primary[i]),
                "trust_primary_after": float(primary[i]),
            }
            if mechanism == "trust":  # what the split needs; done when the events are read (cheap here)
                own = self._after_own.get(r, (change["trust_before"], change["trust_primary_before"]))
                change["_split"] = (own, self._told.get(r, []), world.patients.trust.dtype)
            self._note(r, world.day, "trust", mechanism=mechanism, **change)
        self._trust, self._trust_primary = trust, primary

    # ----- the split of the trust mechanism's change -----------------------------------------
    def _own_experience(self, world) -> dict[int, tuple[float, float]]:
        """Trust in doctors and in clinics after today's own experience (the trust mechanism's
        first part, ``sim.mechanisms.trust.Trust.step``) of each watched resident who had an
        episode today, with the mechanism's own function on the resident alone."""
        out = {}
        ep, p = world.episodes, self.trust_params
        if p is None:
            return out
        for r, ks in self._today.items():
            i = self._position[r]
            # in the state's own precision, so that the numbers are the mechanism's to the last bit
            dtype = world.patients.trust.dtype
            t, tp = self._trust[i : i + 1].astype(dtype), self._trust_primary[i : i + 1].astype(dtype)
            ks = np.array(ks)
            at_clinic = ep.tier[ks] == PRIMARY
            s = ep.satisfaction[ks]
            zero = np.zeros(ks.size, dtype=np.int64)  # every episode is this resident's (the last one counts)
            own_experience(t, zero[~at_clinic], s[~at_clinic], p)
            own_experience(tp, zero[at_clinic], s[at_clinic], p)
            own_experience(t, zero[at_clinic], s[at_clinic], p, p.clinic_spillover)
            if p.hospital_spillover > 0:
                own_experience(tp, zero[~at_clinic], s[~at_clinic], p, p.hospital_spillover)
            out[r] = (float(t[0]), float(tp[0]))
        return out

    def _split(self, event: dict) -> dict:
        """The trust mechanism's change in a ``trust`` event: own experience, word of mouth (the
        mechanism's functions on this listener alone), and the rest, the DeGroot drift."""
        (own_t, own_p), heard, dtype = event.pop("_split")
        if self.trust_params is None:
            return {}
        before_t, before_p = event["trust_before"], event["trust_primary_before"]
        trust_after, primary_after = event["trust_after"], event["trust_primary_after"]
        after_wom = []
        for clinic, own in ((False, own_t), (True, own_p)):
            told = np.array([s for about_clinic, s in heard if about_clinic == clinic], dtype=float)
            listener = np.array([own], dtype=dtype)
            if told.size:
                word_of_mouth(listener, _OneListener(told.size), np.arange(told.size), told, self.trust_params)
            after_wom.append(float(listener[0]))
        wom_t, wom_p = after_wom
        return {
            "own_experience": own_t - before_t,
            "word_of_mouth": wom_t - own_t,
            "drift": trust_after - wom_t,
            "own_experience_primary": own_p - before_p,
            "word_of_mouth_primary": wom_p - own_p,
            "drift_primary": primary_after - wom_p,
        }

    # ----- results ----------------------------------------------------------------------------
    def events(self, resident: int) -> list[dict]:
        """What happened to ``resident`` while watched, in the order it happened."""
        events = self._events.get(int(resident), [])
        for event in events:
            if "_split" in event:
                event.update(self._split(event))
        return list(events)

    def series(self, resident: int):
        """A frame of ``day``, ``trust`` and ``trust_primary`` at the end of each watched day."""
        import pandas as pd

        columns = ["day", "trust", "trust_primary"]
        i = self._position.get(int(resident))
        if i is None:
            return pd.DataFrame(columns=columns)
        rows = [(day, float(t[i]), float(tp[i])) for day, t, tp in self._series if t.size > i]
        return pd.DataFrame(rows, columns=columns)


class _OneListener:
    """The contacts of ``n`` speakers who all talk to one listener (index 0), in the two CSR arrays
    ``sim.mechanisms.trust.contacts_of`` reads: word of mouth computed for that listener alone."""

    def __init__(self, n: int):
        self.indptr = np.arange(n + 1)
        self.indices = np.zeros(n, dtype=np.int64)


def _plain(value):
    """A numpy scalar as a plain Python value (for tables and JSON)."""
    return value.item() if isinstance(value, np.generic) else value
